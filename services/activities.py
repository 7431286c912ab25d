"""Record, edit, delete and restore Saturday activities, each change kept in history.

Everything is checked before anything is written; every problem is reported with a
Vietnamese message naming the field (``ActivityError.details`` lists them all). Two
situations are not errors but need the user's confirmation (``ConfirmationNeeded``):
a date that is not a Saturday (``confirm_not_saturday``) and a likely duplicate —
same organiser, same date, within ``DUPLICATE_RADIUS_M`` (``confirm_duplicate``).
Nothing is merged silently.

The communes come from the geometry (``geo.spatial.communes_for_geometry``: a line
counts its length in each commune, a polygon its area). An activity without geometry
names the commune it was reported in (``reported_unit_id``, which must exist on the
date); it gets one ``ActivityCommune`` row for that commune, without length or area,
so that the commune filter finds it.

Plausibility limits (``services.activity_input``; above them a value is refused as absurd):

- participants: ``MAX_PARTICIPANTS_PER_COMMUNE`` (5,000) per commune the activity falls in;
- workdays: ``MAX_WORKDAYS_PER_PARTICIPANT`` (3) per participant, or 15,000 without participants;
- quantity: ``QUANTITY_LIMITS`` by the type's unit (200 km, 200,000 m, 5,000 t, otherwise 10,000);
- money: ``MAX_FUNDS_VND`` (100 billion đồng);
- date: from 01/01/2010 (national programme, QĐ 800/QĐ-TTg) to today.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from geo import spatial
from geo.coords import vn_number
from geo.errors import ConflictError, NotFoundError, NtmError
from geo.models import (
    METRIC_SRID,
    STORAGE_SRID,
    Activity,
    ActivityCommune,
    ActivityType,
    AdminUnit,
    AuditEvent,
    Criterion,
    Organisation,
    UnitGeometry,
)
from services import fields
from services.activity_input import (
    SATURDAY,
    ActivityError,
    ActivityInput,
    Problems,
    check_numbers,
    last_saturday,
    parse_input,
    vn_date,
)
from services.facts import criteria_set_on, snapshot

__all__ = ["ActivityError", "ConfirmationNeeded", "last_saturday", "parse_input"]

FIRST_DAY = dt.date(2010, 1, 1)
DUPLICATE_RADIUS_M = 50
ORGANISER_KINDS = ("department", "working_group")


class ConfirmationNeeded(NtmError):
    """Saving needs the user's confirmation; ``confirm`` names the flag to set."""

    http_status = HTTPStatus.CONFLICT

    def __init__(self, user_msg: str, confirm: str, **extra):
        super().__init__(user_msg, details=[{"confirm": confirm, "message": user_msg, **extra}])
        self.confirm = confirm


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_date(values: ActivityInput, problems: Problems, today: dt.date) -> None:
    day = values.activity_date
    if problems.has("activity_date"):
        return
    if day is None:
        problems.add("activity_date", "chưa nhập ngày hoạt động.")
    elif day > today:
        problems.add("activity_date", f"{vn_date(day)} ở tương lai (hôm nay là {vn_date(today)}).")
    elif day < FIRST_DAY:
        problems.add("activity_date", f"{vn_date(day)} trước khi chương trình NTM bắt đầu (2010).")


def _check_type(session: Session, values: ActivityInput, problems: Problems):
    if not values.type_code:
        problems.add("type_code", "chưa chọn loại hoạt động.")
        return None
    found = (
        session.get(ActivityType, values.type_code)
        or session.scalars(
            sa.select(ActivityType).where(
                sa.func.lower(ActivityType.name_vi) == values.type_code.lower()
            )
        ).first()
    )
    if found is None:
        problems.add("type_code", f"không có loại hoạt động «{values.type_code}».")
        return None
    values.type_code = found.code
    return found


def _valid_on(row, day: dt.date) -> bool:
    return (row.valid_from is None or row.valid_from <= day) and (
        row.valid_to is None or day < row.valid_to
    )


def _check_organiser(session: Session, values: ActivityInput, problems: Problems) -> None:
    if values.organiser_id is None:
        problems.add("organiser_id", "chưa chọn đơn vị tổ chức.")
        return
    organiser = session.get(Organisation, values.organiser_id)
    if organiser is None or organiser.kind not in ORGANISER_KINDS:
        problems.add(
            "organiser_id", f"không có sở, ngành hay tổ công tác số {values.organiser_id}."
        )
    elif values.activity_date and not _valid_on(organiser, values.activity_date):
        successor = f" (nay là {organiser.successor.name})" if organiser.successor else ""
        problems.add(
            "organiser_id",
            f"{organiser.name} không còn hoạt động vào ngày {vn_date(values.activity_date)}"
            f"{successor}: hãy chọn đơn vị có hiệu lực vào ngày đó.",
        )


def has_boundaries_on(session: Session, day: dt.date) -> bool:
    """Whether any commune valid on ``day`` has a current boundary (remembered per session)."""
    known = session.info.setdefault("ntm_boundaries_on", {})
    if day not in known:
        known[day] = _any_boundary_on(session, day)
    return known[day]


def _any_boundary_on(session: Session, day: dt.date) -> bool:
    found = session.scalar(
        sa.select(UnitGeometry.id)
        .join(AdminUnit, AdminUnit.id == UnitGeometry.unit_id)
        .where(AdminUnit.level == "commune", UnitGeometry.is_current, spatial.unit_valid_on(day))
        .limit(1)
    )
    return found is not None


def no_boundaries_note(day: dt.date) -> str:
    """The note of an activity placed in today's communes because ``day`` has no boundaries."""
    return (
        f"Chưa có ranh giới xã của ngày {vn_date(day)}: xã được xác định theo ranh giới hiện nay."
    )


def outside_province_message(distance_m: float | None) -> str:
    """The refusal of a geometry outside the province, with its distance to the border."""
    far = f", cách ranh giới tỉnh {vn_number(distance_m / 1000, 1)} km" if distance_m else ""
    return (
        f"vị trí nằm ngoài tỉnh Quảng Trị{far}. Hãy kiểm tra toạ độ "
        "(có bị đổi chỗ vĩ độ/kinh độ, hoặc nhập nhầm hệ toạ độ?)."
    )


def check_place(session: Session, values: ActivityInput, problems: Problems) -> list:
    """The communes of the geometry (or of the reported commune); problems when outside."""
    day = values.activity_date or dt.date.today()
    if problems.has("geometry"):
        return []
    if values.geometry is not None:
        if not has_boundaries_on(session, day):
            # no commune boundaries of that date (before the 2025 reorganisation only the
            # districts are mapped): place it in today's communes, and say so
            values.notes.append(no_boundaries_note(day))
            day = dt.date.today()
        parts = spatial.communes_for_geometry(session, values.geometry, day)
        if not parts:
            distance_m = spatial.distance_to_province_m(session, values.geometry, day)
            problems.add("geometry", outside_province_message(distance_m))
        return parts
    if values.reported_unit_id is None:
        problems.add(
            "geometry", "chưa có vị trí: hãy vẽ trên bản đồ, nhập toạ độ, tải tệp lên hoặc chọn xã."
        )
        return []
    unit = session.get(AdminUnit, values.reported_unit_id)
    if unit is None or unit.level != "commune":
        problems.add("reported_unit_id", f"không có xã số {values.reported_unit_id}.")
        return []
    if not unit.valid_on(day):
        problems.add("reported_unit_id", f"{unit.name} không tồn tại vào ngày {vn_date(day)}.")
        return []
    return [spatial.CommunePart(unit.id, unit.name, None, None)]


def _check_criteria(session: Session, values: ActivityInput, problems: Problems) -> list:
    if not values.criteria_ids:
        return []
    found = list(session.scalars(sa.select(Criterion).where(Criterion.id.in_(values.criteria_ids))))
    cset = criteria_set_on(session, values.activity_date) if values.activity_date else None
    wrong = [c for c in found if cset is None or c.criteria_set_id != cset.id]
    missing = set(values.criteria_ids) - {c.id for c in found}
    if missing or wrong:
        basis = cset.legal_basis if cset else "không có"
        problems.add(
            "criteria_ids",
            f"tiêu chí {', '.join(str(c.number) for c in wrong) or sorted(missing)} không thuộc bộ "
            f"tiêu chí áp dụng vào ngày đó ({basis}).",
        )
    return found


def find_duplicate(session: Session, values: ActivityInput, exclude_id: int | None = None):
    """An activity of the same organiser on the same date within ``DUPLICATE_RADIUS_M`` metres."""
    same = [
        Activity.deleted_at.is_(None),
        Activity.organiser_id == values.organiser_id,
        Activity.activity_date == values.activity_date,
        Activity.id != (exclude_id or -1),
    ]
    if values.geometry is None:
        same.append(Activity.reported_unit_id == values.reported_unit_id)
        return session.scalars(sa.select(Activity).where(*same, Activity.geom.is_(None))).first()
    here = sa.func.ST_GeomFromText(values.geometry.wkt, STORAGE_SRID)
    near = within_duplicate_radius(session, Activity.geom, here)
    return session.scalars(
        sa.select(Activity).where(*same, Activity.geom.is_not(None), near)
    ).first()


def within_duplicate_radius(session: Session, there, here) -> sa.ColumnElement:
    """Whether two EPSG:4326 geometries lie within ``DUPLICATE_RADIUS_M`` metres (in METRIC_SRID)."""
    there = sa.func.ST_Transform(there, METRIC_SRID)
    here = sa.func.ST_Transform(here, METRIC_SRID)
    if spatial.is_spatialite(session):
        return sa.func.ST_Distance(there, here) <= DUPLICATE_RADIUS_M
    return sa.func.ST_DWithin(there, here, DUPLICATE_RADIUS_M)


def check_activity(session: Session, values: ActivityInput, today=None, problems=None):
    """All database checks; returns ``(activity type, commune parts, criteria)`` or raises."""
    problems = Problems() if problems is None else problems
    _check_date(values, problems, today or dt.date.today())
    activity_type = _check_type(session, values, problems)
    _check_organiser(session, values, problems)
    parts = check_place(session, values, problems)
    check_numbers(values, activity_type, len(parts), problems)
    criteria = _check_criteria(session, values, problems)
    problems.raise_if_any()
    return activity_type, parts, criteria


def _confirm(
    session, values: ActivityInput, data: dict, exclude_id=None, date_changed=True
) -> None:
    day = _checked_day(values)
    if date_changed and day.weekday() != SATURDAY and not data.get("confirm_not_saturday"):
        weekday = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
        raise ConfirmationNeeded(
            f"Ngày {vn_date(day)} là {weekday[day.weekday()]}, không phải thứ Bảy. "
            "Bạn có chắc chắn muốn ghi ngày này?",
            "confirm_not_saturday",
        )
    twin = None if data.get("confirm_duplicate") else find_duplicate(session, values, exclude_id)
    if twin is not None:
        raise duplicate_warning(day, twin.id)


def duplicate_warning(day: dt.date, twin_id: int) -> ConfirmationNeeded:
    """The warning of a likely duplicate of activity ``twin_id`` on ``day``."""
    return ConfirmationNeeded(
        f"Có thể trùng: đơn vị này đã ghi một hoạt động ngày {vn_date(day)} cách dưới "
        f"{DUPLICATE_RADIUS_M} m (hoạt động số {twin_id}). Hệ thống không gộp; "
        "chỉ lưu nếu bạn xác nhận đây là hoạt động khác.",
        "confirm_duplicate",
        duplicate_id=twin_id,
    )


def _checked_day(values: ActivityInput) -> dt.date:
    """The activity's date, which ``check_activity`` refuses to leave out."""
    if values.activity_date is None:
        problems = Problems()
        problems.add("activity_date", "chưa nhập ngày hoạt động.")
        raise ActivityError(problems[0]["message"], details=list(problems))
    return values.activity_date


def _apply(session, activity: Activity, values: ActivityInput, activity_type, parts, criteria):
    activity.activity_date = _checked_day(values)
    activity.type_code = activity_type.code
    activity.organiser_id = values.organiser_id
    activity.participants = values.participants
    activity.workdays = values.workdays
    activity.quantity = values.quantity
    activity.quantity_unit = activity_type.unit_of_measure if values.quantity is not None else None
    activity.funds_vnd = values.funds_vnd
    activity.description = values.description
    activity.village = values.village
    activity.geom = None if values.geometry is None else spatial.to_db_geometry(values.geometry)
    activity.reported_unit_id = values.reported_unit_id
    activity.criteria = criteria
    if activity.communes:  # an update: the old rows go first (same primary keys may return)
        activity.communes.clear()
        session.flush()
    activity.communes.extend(
        ActivityCommune(unit_id=p.unit_id, length_m=p.length_m, area_m2=p.area_m2) for p in parts
    )


def audit_snapshot(activity: Activity) -> dict:
    """The activity as JSON for history: columns, geometry, criteria and communes."""
    data = snapshot(activity)
    data["geometry"] = mapping(to_shape(activity.geom)) if activity.geom is not None else None
    data["criteria_ids"] = sorted(c.id for c in activity.criteria)
    data["communes"] = [
        {"unit_id": c.unit_id, "length_m": c.length_m, "area_m2": c.area_m2}
        for c in activity.communes
    ]
    return data


def _audit(session, activity: Activity, action: str, by: str, before: dict | None) -> None:
    session.flush()
    session.add(audit_event(activity, action, by, before))


def audit_event(activity: Activity, action: str, by: str, before: dict | None) -> AuditEvent:
    """The history event of a change to a flushed activity (its communes loaded)."""
    first = activity.communes[0].unit_id if activity.communes else activity.reported_unit_id
    return AuditEvent(
        entity="activity", entity_id=activity.id, action=action, by=by,
        unit_id=first, before=before, after=audit_snapshot(activity),
    )  # fmt: skip


def _by(by: str) -> str:
    name = (by or "").strip()[:120]
    if not name:
        raise ActivityError(
            "Thiếu tên người ghi nhận.", details=[{"field": "by", "message": "Thiếu tên"}]
        )
    return name


def create_activity(session: Session, data: dict, by: str, today: dt.date | None = None, **extra):
    """Check and record a new activity; returns it (flushed, not committed)."""
    by = _by(by)
    problems = Problems()
    values = parse_input(data, problems)
    activity_type, parts, criteria = check_activity(session, values, today, problems)
    _confirm(session, values, data)
    activity = Activity(created_by=by, **extra)
    session.add(activity)
    _apply(session, activity, values, activity_type, parts, criteria)
    _audit(session, activity, "create", by, None)
    activity.notes = values.notes
    return activity


def get_activity(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFoundError(f"Không có hoạt động số {activity_id}.")
    return activity


def _check_version(activity: Activity, version) -> None:
    version = fields.parse_int(version, "version", 1, fields.MAX_ID)
    if version is None or version != activity.version:
        raise ConflictError(
            f"Hoạt động số {activity.id} vừa được người khác sửa (phiên bản {activity.version}, "
            f"bạn đang sửa phiên bản {version}). Hãy tải lại trang để xem thay đổi rồi sửa tiếp."
        )


def update_activity(session, activity_id: int, data: dict, by: str, version, today=None):
    """Replace an activity's values; ``version`` must be the one the user saw."""
    by = _by(by)
    activity = get_activity(session, activity_id)
    _check_version(activity, version)
    if activity.deleted_at is not None:
        raise ActivityError(f"Hoạt động số {activity_id} đã bị xoá: hãy khôi phục trước khi sửa.")
    problems = Problems()
    values = parse_input(data, problems)
    activity_type, parts, criteria = check_activity(session, values, today, problems)
    _confirm(session, values, data, activity.id, values.activity_date != activity.activity_date)
    before = audit_snapshot(activity)
    _apply(session, activity, values, activity_type, parts, criteria)
    activity.version += 1
    activity.updated_at = _now()
    _audit(session, activity, "update", by, before)
    return activity


def delete_activity(session, activity_id: int, by: str, version=None) -> Activity:
    """Soft delete: the row stays, marked ``deleted_at``, and can be restored."""
    by = _by(by)
    activity = get_activity(session, activity_id)
    if version is not None:
        _check_version(activity, version)
    if activity.deleted_at is not None:
        raise ActivityError(f"Hoạt động số {activity_id} đã bị xoá trước đó.")
    before = audit_snapshot(activity)
    activity.deleted_at = _now()
    activity.version += 1
    _audit(session, activity, "delete", by, before)
    return activity


def restore_activity(session, activity_id: int, by: str) -> Activity:
    by = _by(by)
    activity = get_activity(session, activity_id)
    if activity.deleted_at is None:
        raise ActivityError(f"Hoạt động số {activity_id} chưa bị xoá, không cần khôi phục.")
    before = audit_snapshot(activity)
    activity.deleted_at = None
    activity.version += 1
    _audit(session, activity, "restore", by, before)
    return activity


def activity_history(session: Session, activity_id: int) -> list[AuditEvent]:
    """Every change of the activity, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "activity", AuditEvent.entity_id == activity_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
