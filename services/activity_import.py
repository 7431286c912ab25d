"""Import many activities from an Excel workbook with Vietnamese headers.

Every row goes through the same checks as the form (``services.activities``). The
result lists, by row number, what was accepted, refused (and why) or skipped.

Two modes:

- ``all_or_nothing`` (default): one refused row refuses the whole file and nothing is
  written (``ImportValidationError`` whose ``details`` are the row results);
- ``valid_only``: the valid rows are written, the refused rows change nothing.

A row already imported before (same ``Activity.import_key``, the SHA-256 of its
normalised values) is skipped, so re-importing a file does not duplicate. Rows
without coordinates take the commune named in "Xã" (stored as ``reported_unit_id``,
no geometry). Dates that are not Saturdays and likely duplicates are refused unless
the import is told to accept them (``accept_not_saturday``, ``accept_duplicates``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from geo.errors import ImportValidationError, NtmError
from geo.models import Activity, AdminUnit, DatasetLoad
from services import activities, activity_import_bulk
from services.accounts import OWN_ACTIVITIES_ONLY
from services.activity_import_checks import Lookups, named_elsewhere_message, plain
from services.activity_input import parse_date
from services.activity_query import activity_types, communes_on_day, organisers_on

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MODES = ("all_or_nothing", "valid_only")
#: ``bulk``: checks and writes for all rows at once; ``per_row``: each row through
#: ``create_activity`` in its own savepoint (the reference the bulk path is tested against)
METHODS = ("bulk", "per_row")
#: field → header in the template (and what it is matched against, without diacritics)
HEADERS = {
    "activity_date": "Ngày",
    "type": "Loại hoạt động (mã hoặc tên)",
    "organiser": "Đơn vị tổ chức",
    "commune": "Xã",
    "village": "Thôn",
    "lat": "Vĩ độ",
    "lon": "Kinh độ",
    "vn_x": "Toạ độ VN-2000 X",
    "vn_y": "Toạ độ VN-2000 Y",
    "participants": "Số người",
    "workdays": "Ngày công",
    "quantity": "Khối lượng",
    "funds_vnd": "Kinh phí (đồng)",
    "criteria": "Tiêu chí",
    "description": "Mô tả",
}
REQUIRED = ("activity_date", "type", "organiser")
ALIASES = {"loai hoat dong": "type", "kinh phi": "funds_vnd", "x": "vn_x", "y": "vn_y"}


_BY_PLAIN = {plain(v): k for k, v in HEADERS.items()} | ALIASES


@dataclass
class RowResult:
    row: int
    status: str  # accepted, refused, skipped
    messages: list[str] = field(default_factory=list)
    activity_id: int | None = None


@dataclass
class ImportReport:
    mode: str
    rows: list[RowResult]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    def as_dict(self) -> dict:
        counts = {s: self.count(s) for s in ("accepted", "refused", "skipped")}
        return {"mode": self.mode, **counts, "rows": [asdict(r) for r in self.rows]}


def template_workbook(session: Session, day: dt.date | None = None) -> bytes:
    """The blank workbook to fill in, with a sheet of instructions and valid choices."""
    day = day or dt.date.today()
    book = Workbook()
    sheet = book.active
    sheet.title = "Hoạt động"
    sheet.append(list(HEADERS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = max(12, len(cell.value) + 2)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn")
    for line in _guide_lines(session, day):
        guide.append(line)
    guide.column_dimensions["A"].width = 40
    guide.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _guide_lines(session: Session, day: dt.date) -> list[list]:
    lines: list[list[str | None]] = [
        ["Cột", "Cách điền"],
        ["Ngày", "dd/mm/yyyy, thường là thứ Bảy; không được ở tương lai."],
        ["Loại hoạt động (mã hoặc tên)", "Mã hoặc tên đúng như danh sách dưới đây."],
        [
            "Đơn vị tổ chức",
            "Tên, tên viết tắt hoặc mã của sở, ngành, tổ công tác có hiệu lực vào ngày đó.",
        ],
        ["Xã", "Tên hoặc mã xã; bắt buộc khi không có toạ độ."],
        ["Vĩ độ / Kinh độ", "Độ thập phân (16.8163 / 107.1003) hoặc độ-phút-giây (16°48'58.7\"N)."],
        [
            "Toạ độ VN-2000 X / Y",
            "Mét, múi chiếu 3° kinh tuyến trục 106°15' (X hướng bắc, Y hướng đông).",
        ],
        ["Số người, Ngày công, Khối lượng, Kinh phí (đồng)", "Số không âm."],
        ["Tiêu chí", "Số thứ tự tiêu chí, cách nhau bằng dấu ; (ví dụ 2;8)."],
        [],
        ["Loại hoạt động", ""],
    ]
    lines += [[t.code, f"{t.name_vi} ({t.unit_of_measure})"] for t in activity_types(session)]
    lines += [[], [f"Đơn vị tổ chức có hiệu lực ngày {day:%d/%m/%Y}", ""]]
    lines += [[o.short_name or o.name, o.name] for o in organisers_on(session, day)]
    lines += [[], ["Xã", "Mã"]]
    lines += [[u.name, u.code] for u in communes_on_day(session, day)]
    return lines


def _cell_text(value) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def import_key(values: dict[str, object]) -> str:
    """SHA-256 of the row's normalised values (same row in any file → same key)."""
    normal = {k: plain(_cell_text(v)) for k, v in sorted(values.items())}
    return hashlib.sha256(json.dumps(normal, ensure_ascii=False).encode()).hexdigest()


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """``[(row number, {field: value})]`` from the first sheet; header problems refuse the file."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportValidationError(
            f"Tệp quá lớn ({len(content) / 1048576:.1f} MB): tối đa {MAX_IMPORT_BYTES // 1048576} MB."
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise ImportValidationError("Tệp không phải bảng tính Excel (.xlsx) đọc được.") from exc
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise ImportValidationError("Bảng tính trống: không có dòng tiêu đề.")
    columns = {i: _BY_PLAIN.get(plain(h)) for i, h in enumerate(rows[0])}
    missing = [HEADERS[f] for f in REQUIRED if f not in columns.values()]
    if missing:
        raise ImportValidationError(
            f"Thiếu cột: {', '.join(missing)}. Hãy dùng tệp mẫu.", details=[{"missing": missing}]
        )
    data = []
    for number, row in enumerate(rows[1:], start=2):
        values = {f: row[i] for i, f in columns.items() if f and i < len(row)}
        if any(_cell_text(v) for v in values.values()):
            data.append((number, values))
    if len(data) > MAX_IMPORT_ROWS:
        raise ImportValidationError(
            f"Tệp có {len(data)} dòng: tối đa {MAX_IMPORT_ROWS} dòng mỗi lần nhập."
        )
    return data


def _place(values: dict, data: dict, zone: str) -> None:
    lat, lon = _cell_text(values.get("lat")), _cell_text(values.get("lon"))
    x, y = _cell_text(values.get("vn_x")), _cell_text(values.get("vn_y"))
    if lat or lon:
        if not (lat and lon):
            raise ValueError("Vị trí: cần cả Vĩ độ và Kinh độ.")
        data["coordinates"] = f"{lat} {lon}" if "°" in lat + lon else f"{lat}; {lon}"
    elif x or y:
        if not (x and y):
            raise ValueError("Vị trí: cần cả X và Y VN-2000.")
        data.update(coordinates=f"{x}; {y}", notation="vn2000", zone=zone)


def row_data(
    values: dict, lookups: Lookups, zone: str = "tm3", own_organiser_id: int | None = None
) -> dict:
    """A row's values as the input of ``create_activity``; ``ValueError`` names what is wrong.

    ``own_organiser_id``: the importer is a unit officer, who may import only their unit's work.
    """
    day = parse_date(values.get("activity_date"))
    if day is None:
        raise ValueError("Ngày: chưa nhập ngày hoạt động.")
    data = {
        "activity_date": day,
        "type_code": _cell_text(values.get("type")),
        "village": _cell_text(values.get("village")),
        "description": _cell_text(values.get("description")),
    }
    for name in ("participants", "workdays", "quantity", "funds_vnd"):
        data[name] = values.get(name)
    organiser = _cell_text(values.get("organiser"))
    if not organiser:
        raise ValueError("Đơn vị tổ chức: chưa nhập.")
    data["organiser_id"] = lookups.organiser(organiser, day)
    if own_organiser_id is not None and data["organiser_id"] != own_organiser_id:
        raise ValueError(f"Đơn vị tổ chức: {OWN_ACTIVITIES_ONLY}")
    if _cell_text(values.get("criteria")):
        data["criteria_ids"] = lookups.criteria(_cell_text(values.get("criteria")), day)
    _place(values, data, zone)
    commune = _cell_text(values.get("commune"))
    if commune:
        # with coordinates the commune comes from the geometry; the named one is only checked
        unit_field = "named_unit_id" if data.get("coordinates") else "reported_unit_id"
        data[unit_field] = lookups.commune(commune, day)
    return data


def _check_commune_matches(activity: Activity, named: int | None, session: Session) -> None:
    inside = {c.unit_id for c in activity.communes}
    if named and activity.geom is not None and named not in inside:
        unit = session.get_one(AdminUnit, named)
        names = [c.unit.name for c in activity.communes]
        raise ValueError(named_elsewhere_message(names, unit.name))


def imported_keys(session: Session, keys: list[str]) -> dict[str, int]:
    """``{import key: activity id}`` of the rows imported before (one query per 500 keys)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            sa.select(Activity.import_key, Activity.id).where(Activity.import_key.in_(chunk))
        )
        found.update((key, activity_id) for key, activity_id in rows if key is not None)
    return found


def _skipped(number: int, key: str, seen: dict[str, int], options: dict) -> RowResult | None:
    """A row identical to an earlier one of the file, or imported before."""
    if key in seen:
        return RowResult(number, "skipped", [f"Trùng hoàn toàn với dòng {seen[key]} trong tệp."])
    seen[key] = number
    done = options["imported"].get(key)
    if done:
        return RowResult(number, "skipped", [f"Đã nhập trước đây (hoạt động số {done})."], done)
    return None


def _refused(number: int, exc: Exception) -> RowResult:
    messages = [d["message"] for d in getattr(exc, "details", []) if "message" in d]
    return RowResult(number, "refused", messages or [getattr(exc, "user_msg", str(exc))])


def _import_row(session, number, values, lookups, options, seen) -> RowResult:
    key = import_key(values)
    skipped = _skipped(number, key, seen, options)
    if skipped:
        return skipped
    try:
        with session.begin_nested():
            data = row_data(values, lookups, options["zone"], options["own_organiser_id"])
            data["confirm_not_saturday"] = options["accept_not_saturday"]
            data["confirm_duplicate"] = options["accept_duplicates"]
            named = data.pop("named_unit_id", None)
            activity = activities.create_activity(
                session, data, options["by"], options["today"], import_key=key
            )
            _check_commune_matches(activity, named, session)
    except (ValueError, NtmError) as exc:
        return _refused(number, exc)
    return RowResult(number, "accepted", list(activity.notes), activity.id)


def _import_per_row(session, rows, options) -> list[RowResult]:
    lookups, seen = Lookups(session), dict[str, int]()
    return [_import_row(session, n, v, lookups, options, seen) for n, v in rows]


def _import_bulk(session, rows, options) -> list[RowResult]:
    """Row results of the set-based path (``services.activity_import_bulk``)."""
    lookups, seen, candidates = Lookups(session), dict[str, int](), []
    results: dict[int, RowResult] = {}
    for (number, values), key in zip(rows, options["keys"], strict=True):
        skipped = _skipped(number, key, seen, options)
        if skipped is not None:
            results[number] = skipped
            continue
        try:
            data = row_data(values, lookups, options["zone"], options["own_organiser_id"])
            candidates.append(activity_import_bulk.Row(number, key, data))
        except ValueError as exc:
            results[number] = _refused(number, exc)
    accepted = activity_import_bulk.check_rows(session, candidates, options)
    refused = [r for r in candidates if r.activity is None]
    activity_import_bulk.write_rows(session, accepted, refused, options["by"])
    for row in candidates:
        results[row.number] = (
            RowResult(row.number, "accepted", list(row.values.notes), row.activity.id)
            if row.activity is not None
            else RowResult(row.number, "refused", row.messages)
        )
    return [results[n] for n, _ in rows]


def import_activities(
    session: Session,
    content: bytes,
    by: str,
    *,
    mode: str = "all_or_nothing",
    zone: str = "tm3",
    accept_not_saturday: bool = False,
    accept_duplicates: bool = False,
    today: dt.date | None = None,
    filename: str = "tệp Excel",
    method: str = "bulk",
    own_organiser_id: int | None = None,
) -> ImportReport:
    """Check every row and write the accepted ones (all or nothing, or the valid ones).

    ``own_organiser_id``: set for a unit officer; rows organised by another unit are refused.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if mode not in MODES:
        raise ImportValidationError(
            f"Cách nhập «{mode}» không hợp lệ: chọn {' hoặc '.join(MODES)}."
        )
    rows = read_rows(content)
    options: dict[str, Any] = {
        "by": by, "zone": zone, "today": today, "accept_not_saturday": accept_not_saturday,
        "accept_duplicates": accept_duplicates, "own_organiser_id": own_organiser_id,
    }  # fmt: skip
    options["keys"] = [import_key(v) for _, v in rows]
    options["imported"] = imported_keys(session, options["keys"])
    outer = session.begin_nested()
    run = _import_per_row if method == "per_row" else _import_bulk
    report = ImportReport(mode, run(session, rows, options))
    if mode == "all_or_nothing" and report.count("refused"):
        outer.rollback()
        raise ImportValidationError(
            f"Không nhập dòng nào: {report.count('refused')} dòng bị từ chối "
            f"(dòng {', '.join(str(r.row) for r in report.rows if r.status == 'refused')[:200]}). "
            "Sửa các dòng này rồi nhập lại, hoặc chọn «chỉ nhập các dòng hợp lệ».",
            details=report.as_dict()["rows"],
        )
    outer.commit()
    session.add(
        DatasetLoad(
            dataset="activities_excel", source=filename,
            sha256=hashlib.sha256(content).hexdigest(), rows=report.count("accepted"),
            loaded_by=by, report={k: v for k, v in report.as_dict().items() if k != "rows"},
        )
    )  # fmt: skip
    session.flush()
    return report
