"""Parsing of an activity's input (form, JSON or an Excel row) into checked values.

Every unreadable field is reported at once, with a Vietnamese message naming it
(``ActivityError.details``). Checks that need the database live in
``services.activities``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from http import HTTPStatus

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo import coords, tracks
from geo.coords import vn_number
from geo.errors import InvalidGeometryError, NtmError
from services import fields

SATURDAY = 5
MAX_PARTICIPANTS_PER_COMMUNE = 5_000
MAX_WORKDAYS_PER_PARTICIPANT = 3
MAX_WORKDAYS_WITHOUT_PARTICIPANTS = 15_000
MAX_FUNDS_VND = 100_000_000_000
QUANTITY_LIMITS = {"km": 200, "m": 200_000, "tấn": 5_000}
DEFAULT_QUANTITY_LIMIT = 10_000
FIELD_LABELS = {
    "activity_date": "Ngày",
    "type_code": "Loại hoạt động",
    "organiser_id": "Đơn vị tổ chức",
    "participants": "Số người tham gia",
    "workdays": "Ngày công",
    "quantity": "Khối lượng",
    "funds_vnd": "Kinh phí (đồng)",
    "geometry": "Vị trí",
    "reported_unit_id": "Xã",
    "criteria_ids": "Tiêu chí",
    "description": "Mô tả",
    "village": "Thôn",
}


class ActivityError(NtmError):
    """The activity was refused; ``details`` holds ``{"field", "message"}`` for every problem."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


@dataclass
class ActivityInput:
    """An activity's values after parsing, before the checks that need the database."""

    activity_date: dt.date | None = None
    type_code: str | None = None
    organiser_id: int | None = None
    participants: int | None = None
    workdays: float | None = None
    quantity: float | None = None
    funds_vnd: int | None = None
    description: str | None = None
    village: str | None = None
    geometry: BaseGeometry | None = None
    reported_unit_id: int | None = None
    criteria_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def last_saturday(today: dt.date | None = None) -> dt.date:
    """The latest Saturday on or before ``today``."""
    today = today or dt.date.today()
    return today - dt.timedelta(days=(today.weekday() - SATURDAY) % 7)


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class Problems(list):
    def add(self, name: str, message: str) -> None:
        self.append({"field": name, "message": f"{FIELD_LABELS.get(name, name)}: {message}"})

    def has(self, name: str) -> bool:
        return any(p["field"] == name for p in self)

    def raise_if_any(self) -> None:
        if self:
            raise ActivityError(self[0]["message"], details=list(self))


def parse_date(value) -> dt.date | None:
    """A date from a date, ``dd/mm/yyyy`` or ISO ``yyyy-mm-dd``; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for form in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"«{text}» không phải ngày hợp lệ (dạng dd/mm/yyyy)")


def _id(value, name: str, problems: Problems) -> int | None:
    try:
        return fields.parse_id(value, name)
    except fields.FieldError as exc:
        problems.add(name, exc.details[0]["message"])
        return None


def _text(value, name: str, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(name, f"phải là chữ, không phải {type(value).__name__}.")
        return None
    if "\x00" in value:
        problems.add(name, "có ký tự NUL (\\0); hãy xoá ký tự đó.")
        return None
    return value.strip() or None


def _number(value, kind: type, name: str, problems: Problems):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(name, f"«{value}» không phải là số.")
        return None
    try:
        text = str(value).strip().replace(" ", "")
        if isinstance(value, str) and kind is int:
            text = text.replace(".", "").replace(",", "")
        elif isinstance(value, str):
            text = text.replace(".", "").replace(",", ".") if "," in text else text
        number = kind(float(text)) if kind is int else float(text)
    except (TypeError, ValueError):
        problems.add(name, f"«{value}» không phải là số.")
        return None
    if not math.isfinite(number):
        problems.add(name, f"«{value}» không phải là một số hữu hạn.")
        return None
    if number < 0:
        problems.add(name, f"không được âm (đang là {coords.vn_number(number)}).")
        return None
    return number


def _is_wgs84(crs) -> bool:
    """A GeoJSON 2008 ``crs`` member that names WGS 84 (CRS84 or EPSG:4326)."""
    name = crs.get("properties", {}).get("name", "") if isinstance(crs, dict) else ""
    return isinstance(name, str) and name.upper().replace("::", ":").endswith(("CRS84", "4326"))


def _geojson_shape(value) -> BaseGeometry:
    """A GeoJSON geometry (or Feature), as text or as an object; unreadable ones refused."""
    try:
        doc = json.loads(value) if isinstance(value, str) else value
        if isinstance(doc, dict) and doc.get("type") == "Feature":
            doc = doc.get("geometry")
        if not isinstance(doc, dict):
            raise ValueError("cần một đối tượng GeoJSON có “type” và “coordinates”")
        if "crs" in doc and not _is_wgs84(doc["crs"]):
            raise ValueError(
                "“crs” khác WGS 84: hãy gửi toạ độ kinh độ, vĩ độ (EPSG:4326) và bỏ “crs”"
            )
        return shape(doc)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        raise InvalidGeometryError(f"Hình học không đọc được ({exc}).") from None
    except shapely.errors.ShapelyError as exc:
        raise InvalidGeometryError(f"Hình học không hợp lệ ({exc}).") from None


def parse_geometry(data: dict) -> tuple[BaseGeometry | None, list[str]]:
    """The geometry of the input: GeoJSON, typed coordinates, or VN-2000 X/Y."""
    value = data.get("geometry")
    if isinstance(value, BaseGeometry):
        return value, []
    if value:
        return tracks.check_drawn(_geojson_shape(value)), []
    if data.get("coordinates"):
        point = coords.parse_coordinates(
            str(data["coordinates"]), data.get("notation") or "auto", data.get("zone") or "tm3"
        )
        return shapely.Point(point.lon, point.lat), [point.note] if point.note else []
    return None, []


def parse_input(data: dict, problems: Problems | None = None) -> ActivityInput:
    """Field-by-field parsing; every unreadable field is reported at once.

    With ``problems`` given, problems are added to it and not raised.
    """
    collect = problems is not None
    if problems is None:
        problems = Problems()
    values = ActivityInput()
    try:
        values.activity_date = parse_date(data.get("activity_date"))
    except ValueError as exc:
        problems.add("activity_date", str(exc) + ".")
    values.type_code = (str(data.get("type_code") or "").strip()) or None
    values.organiser_id = _id(data.get("organiser_id"), "organiser_id", problems)
    values.reported_unit_id = _id(data.get("reported_unit_id"), "reported_unit_id", problems)
    values.participants = _number(data.get("participants"), int, "participants", problems)
    values.workdays = _number(data.get("workdays"), float, "workdays", problems)
    values.quantity = _number(data.get("quantity"), float, "quantity", problems)
    values.funds_vnd = _number(data.get("funds_vnd"), int, "funds_vnd", problems)
    values.description = _text(data.get("description"), "description", problems)
    values.village = _text(data.get("village"), "village", problems)
    try:
        values.criteria_ids = fields.parse_ids(data.get("criteria_ids"), "criteria_ids")
    except fields.FieldError as exc:
        problems.add("criteria_ids", exc.details[0]["message"])
    try:
        values.geometry, values.notes = parse_geometry(data)
        if values.geometry is not None:
            values.geometry = tracks.check_valid(
                values.geometry, bool(data.get("repair_geometry")), "Vị trí đã vẽ"
            )
    except NtmError as exc:
        problems.add("geometry", exc.user_msg)
    if not collect:
        problems.raise_if_any()
    return values


def _quantity_limit(activity_type) -> float:
    unit = (activity_type.unit_of_measure if activity_type else "").split(" ")[0].rstrip(";")
    return QUANTITY_LIMITS.get(unit, DEFAULT_QUANTITY_LIMIT)


def check_numbers(values: ActivityInput, activity_type, communes: int, problems: Problems) -> None:
    """Refuse absurd numbers (limits above); ``communes`` is how many the activity falls in."""
    limit = MAX_PARTICIPANTS_PER_COMMUNE * max(communes, 1)
    if values.participants is not None and values.participants > limit:
        problems.add(
            "participants",
            f"{vn_number(values.participants)} người là không hợp lý: tối đa {vn_number(limit)} "
            f"cho {max(communes, 1)} xã. Hãy kiểm tra lại (có thể thừa chữ số 0).",
        )
    cap = (
        values.participants * MAX_WORKDAYS_PER_PARTICIPANT
        if values.participants
        else MAX_WORKDAYS_WITHOUT_PARTICIPANTS
    )
    if values.workdays is not None and values.workdays > cap:
        problems.add(
            "workdays",
            f"{vn_number(values.workdays, 1)} ngày công vượt quá {vn_number(cap)} "
            f"(tối đa {MAX_WORKDAYS_PER_PARTICIPANT} ngày công mỗi người trong một ngày).",
        )
    qlimit = _quantity_limit(activity_type)
    if values.quantity is not None and values.quantity > qlimit:
        unit = activity_type.unit_of_measure if activity_type else ""
        problems.add(
            "quantity",
            f"{vn_number(values.quantity, 1)} {unit} là không hợp lý (tối đa {vn_number(qlimit)}).",
        )
    if values.funds_vnd is not None and values.funds_vnd > MAX_FUNDS_VND:
        problems.add(
            "funds_vnd",
            f"{vn_number(values.funds_vnd)} đồng vượt quá {vn_number(MAX_FUNDS_VND)} đồng.",
        )
