"""Unit plans for the Saturday movement: a plan per unit and period, and its planned items.

A unit (department, working group, commune) plans which Saturdays, which communes and
villages, what work (activity type, quantity in the type's unit), which criteria it targets
and who leads. The coordination office keeps the province's plan (``kind="province"``): its
items are the departments' tasks (``assignee_id``) in the communes each sponsors, with
deadlines. Every change is kept in ``AuditEvent`` (entity ``unit_plan`` / ``plan_item``).

Checks mirror the activities': the commune must exist on the date, the type must exist,
the quantity is not negative, the date lies in the plan's period, and a day that is not a
Saturday needs the user's confirmation (``confirm_not_saturday``). What happens to an item
afterwards (done → activity, missed, moved) and plan against actual are in
``services.plan_progress``; the calendar feed in ``services.plan_calendar``.
"""

from __future__ import annotations

import datetime as dt
import math
from http import HTTPStatus

import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from geo import spatial
from geo.errors import ConflictError, NotFoundError, NtmError
from geo.models import (
    PLAN_KINDS,
    ActivityType,
    AdminUnit,
    Criterion,
    Organisation,
    PlanItem,
    UnitPlan,
)
from services import audit, fields
from services.activities import ConfirmationNeeded
from services.activity_input import SATURDAY, parse_date, parse_geometry, vn_date
from services.facts import criteria_set_on, snapshot, sponsorships_on
from services.plan_figures import PlanVsActual, plan_vs_actual

__all__ = ["PlanError", "PlanVsActual", "plan_vs_actual"]

PLAN_ORG_KINDS = ("department", "working_group", "commune", "other")
MAX_PLAN_DAYS = 366
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
LABELS = {
    "organisation_id": "Đơn vị",
    "period_from": "Từ ngày",
    "period_to": "Đến ngày",
    "title": "Tên kế hoạch",
    "kind": "Loại kế hoạch",
    "planned_date": "Ngày thực hiện",
    "unit_id": "Xã",
    "type_code": "Loại công việc",
    "planned_quantity": "Khối lượng dự kiến",
    "assignee_id": "Đơn vị thực hiện",
    "deadline": "Hạn hoàn thành",
    "geometry": "Vị trí",
    "criteria_ids": "Tiêu chí",
    "lead_person": "Người phụ trách",
    "village": "Thôn",
}


class PlanError(NtmError):
    """A plan or item was refused; ``details`` holds ``{"field", "message"}`` for every problem."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class _Problems(list):
    def add(self, name: str, message: str) -> None:
        self.append({"field": name, "message": f"{LABELS.get(name, name)}: {message}"})

    def raise_if_any(self) -> None:
        if self:
            raise PlanError(self[0]["message"], details=list(self))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_by(by: str) -> str:
    name = (by or "").strip()[:120]
    if not name:
        raise PlanError("Thiếu tên người ghi nhận.")
    return name


def _date(data: dict, name: str, problems: _Problems) -> dt.date | None:
    try:
        return parse_date(data.get(name))
    except ValueError as exc:
        problems.add(name, f"{exc}.")
        return None


def _int(data: dict, name: str, problems: _Problems) -> int | None:
    try:
        return fields.parse_id(data.get(name), name)
    except fields.FieldError as exc:
        problems.add(name, exc.details[0]["message"])
        return None


def _text(data: dict, name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str | int | float):
        raise fields.FieldError(name, f"phải là chữ, không phải {type(value).__name__}.")
    text = str(value or "").strip()[:limit]
    if "\x00" in text:
        raise fields.FieldError(name, "có ký tự NUL (\\0); hãy xoá ký tự đó.")
    return text or None


def _valid_on(row, day: dt.date) -> bool:
    return (row.valid_from is None or row.valid_from <= day) and (
        row.valid_to is None or day < row.valid_to
    )


def check_version(row, version, what: str) -> None:
    version = fields.parse_int(version, "version", 1, fields.MAX_ID)
    if version is None or version != row.version:
        raise ConflictError(
            f"{what} vừa được người khác sửa (phiên bản {row.version}, bạn đang sửa phiên bản "
            f"{version}). Hãy tải lại trang để xem thay đổi rồi sửa tiếp."
        )


# --- plans ----------------------------------------------------------------------------------


def _plan_values(session: Session, data: dict) -> dict:
    problems = _Problems()
    org_id = _int(data, "organisation_id", problems)
    start = _date(data, "period_from", problems)
    end = _date(data, "period_to", problems)
    title = _text(data, "title", 300)
    kind = str(data.get("kind") or "unit").strip()
    org = session.get(Organisation, org_id) if org_id else None
    if org is None or org.kind not in PLAN_ORG_KINDS:
        problems.add("organisation_id", "hãy chọn một sở, ngành, tổ công tác hoặc xã.")
    if kind not in PLAN_KINDS:
        problems.add("kind", f"«{kind}» không có; chọn «unit» hoặc «province».")
    for name, day in (("period_from", start), ("period_to", end)):
        if day is None and not any(p["field"] == name for p in problems):
            problems.add(name, "chưa nhập ngày.")
    if start and end and start > end:
        problems.add("period_to", f"{vn_date(end)} trước ngày bắt đầu {vn_date(start)}.")
    elif start and end and (end - start).days >= MAX_PLAN_DAYS:
        problems.add("period_to", f"một kế hoạch dài tối đa {MAX_PLAN_DAYS} ngày.")
    if not title:
        problems.add("title", "chưa nhập tên kế hoạch.")
    problems.raise_if_any()
    return {"organisation_id": org_id, "period_from": start, "period_to": end, "title": title,
            "kind": kind}  # fmt: skip


def create_plan(session: Session, data: dict, by: str) -> UnitPlan:
    """Check and record a new plan; returns it (flushed, not committed)."""
    by = check_by(by)
    plan = UnitPlan(created_by=by, **_plan_values(session, data))
    session.add(plan)
    session.flush()
    audit.record(session, "unit_plan", plan.id, "create", by, None, snapshot(plan))
    return plan


def update_plan(session: Session, plan_id: int, data: dict, by: str, version) -> UnitPlan:
    """Change a plan's unit, period, title or kind; items must stay inside the period."""
    by = check_by(by)
    plan = get_plan(session, plan_id)
    check_version(plan, version, f"Kế hoạch số {plan_id}")
    values = _plan_values(session, data)
    outside = [
        i for i in plan.items if not values["period_from"] <= i.planned_date <= values["period_to"]
    ]
    if outside:
        raise PlanError(
            f"Không thể thu hẹp kỳ kế hoạch: việc ngày {vn_date(outside[0].planned_date)} nằm ngoài "
            "kỳ mới. Hãy dời hoặc xoá việc đó trước."
        )
    before = snapshot(plan)
    for key, value in values.items():
        setattr(plan, key, value)
    plan.version += 1
    audit.record(session, "unit_plan", plan.id, "update", by, before, snapshot(plan))
    return plan


def get_plan(session: Session, plan_id: int) -> UnitPlan:
    plan = session.get(UnitPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"Không có kế hoạch số {plan_id}.")
    return plan


def plans_of(session: Session, organisation_id: int | None = None) -> list[UnitPlan]:
    """Plans, newest period first (of one unit when given)."""
    query = sa.select(UnitPlan).order_by(UnitPlan.period_from.desc(), UnitPlan.id.desc())
    if organisation_id is not None:
        query = query.where(UnitPlan.organisation_id == organisation_id)
    return list(session.scalars(query))


def plan_organisations(session: Session, day: dt.date) -> list[Organisation]:
    """Units that may keep a plan on ``day``, by name."""
    rows = session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind.in_(PLAN_ORG_KINDS))
        .order_by(Organisation.name, Organisation.id)
    )
    return [o for o in rows if _valid_on(o, day)]


# --- items ----------------------------------------------------------------------------------


def _check_day(plan: UnitPlan, day: dt.date | None, problems: _Problems) -> None:
    if day is None:
        if not any(p["field"] == "planned_date" for p in problems):
            problems.add("planned_date", "chưa nhập ngày.")
    elif not plan.period_from <= day <= plan.period_to:
        problems.add(
            "planned_date",
            f"{vn_date(day)} nằm ngoài kỳ kế hoạch ({vn_date(plan.period_from)} – "
            f"{vn_date(plan.period_to)}).",
        )


def _check_type(session: Session, code: str | None, problems: _Problems):
    found = session.get(ActivityType, code) if code else None
    if found is None:
        problems.add("type_code", f"không có loại công việc «{code}»." if code else "chưa chọn.")
    return found


def _check_quantity(data: dict, problems: _Problems) -> float | None:
    value = data.get("planned_quantity")
    if value in (None, ""):
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        problems.add("planned_quantity", f"«{value}» không phải là số.")
        return None
    if not math.isfinite(number):
        problems.add("planned_quantity", f"«{value}» không phải là một số hữu hạn.")
        return None
    if number < 0:
        problems.add("planned_quantity", "không được âm.")
        return None
    return number


def _check_place(session: Session, data: dict, day: dt.date | None, problems: _Problems):
    """``(unit_id, geometry)``: the commune named, or the one the drawn geometry falls in."""
    try:
        geometry, _notes = parse_geometry({"geometry": data.get("geometry")})
    except NtmError as exc:
        problems.add("geometry", exc.user_msg)
        return None, None
    unit_id = _int(data, "unit_id", problems)
    when = day or dt.date.today()
    if geometry is not None:
        parts = spatial.communes_for_geometry(session, geometry, when)
        if not parts:
            problems.add("geometry", "vị trí nằm ngoài các xã của tỉnh Quảng Trị vào ngày đó.")
            return None, None
        if unit_id is None:
            unit_id = max(parts, key=lambda p: (p.length_m or 0) + (p.area_m2 or 0)).unit_id
    if unit_id is None:
        problems.add("unit_id", "chưa chọn xã (hoặc vẽ vị trí trên bản đồ).")
        return None, geometry
    unit = session.get(AdminUnit, unit_id)
    if unit is None or unit.level != "commune":
        problems.add("unit_id", f"không có xã số {unit_id}.")
    elif not unit.valid_on(when):
        problems.add("unit_id", f"{unit.name} không tồn tại vào ngày {vn_date(when)}.")
    return unit_id, geometry


def _check_criteria(session, data: dict, day: dt.date | None, problems: _Problems) -> list:
    ids = data.get("criteria_ids") or []
    ids = [ids] if isinstance(ids, int | str) else ids
    try:
        ids = [int(i) for i in ids if str(i).strip()]
    except ValueError:
        problems.add("criteria_ids", "mã tiêu chí phải là số.")
        return []
    if not ids:
        return []
    found = list(session.scalars(sa.select(Criterion).where(Criterion.id.in_(ids))))
    cset = criteria_set_on(session, day) if day else None
    if len(found) != len(set(ids)) or any(
        cset is None or c.criteria_set_id != cset.id for c in found
    ):
        basis = cset.legal_basis if cset else "không có"
        problems.add("criteria_ids", f"có tiêu chí không thuộc bộ tiêu chí áp dụng ({basis}).")
    return found


def _check_assignee(session, plan: UnitPlan, data: dict, day, problems: _Problems) -> int | None:
    if plan.kind == "unit":
        return plan.organisation_id
    assignee_id = _int(data, "assignee_id", problems)
    org = session.get(Organisation, assignee_id) if assignee_id else None
    if org is None or org.kind not in PLAN_ORG_KINDS:
        problems.add("assignee_id", "hãy chọn sở, ngành hoặc tổ công tác được giao việc.")
    elif day and not _valid_on(org, day):
        problems.add("assignee_id", f"{org.name} không còn hoạt động vào ngày {vn_date(day)}.")
    return assignee_id


def _item_values(session: Session, plan: UnitPlan, data: dict) -> dict:
    problems = _Problems()
    day = _date(data, "planned_date", problems)
    _check_day(plan, day, problems)
    activity_type = _check_type(session, (data.get("type_code") or "").strip() or None, problems)
    quantity = _check_quantity(data, problems)
    unit_id, geometry = _check_place(session, data, day, problems)
    criteria = _check_criteria(session, data, day, problems)
    assignee_id = _check_assignee(session, plan, data, day, problems)
    deadline = _date(data, "deadline", problems)
    if deadline and day and deadline < day:
        problems.add("deadline", f"{vn_date(deadline)} trước ngày thực hiện {vn_date(day)}.")
    problems.raise_if_any()
    return {
        "planned_date": day, "type_code": activity_type.code, "planned_quantity": quantity,
        "quantity_unit": activity_type.unit_of_measure if quantity is not None else None,
        "unit_id": unit_id, "geom": spatial.to_db_geometry(geometry) if geometry else None,
        "criteria": criteria, "assignee_id": assignee_id, "deadline": deadline,
        "village": _text(data, "village", 200), "lead_person": _text(data, "lead_person", 200),
        "description": _text(data, "description", 4000),
    }  # fmt: skip


def confirm_saturday(day: dt.date, data: dict) -> None:
    """Ask for confirmation when ``day`` is not a Saturday (as for activities)."""
    if day.weekday() != SATURDAY and not data.get("confirm_not_saturday"):
        raise ConfirmationNeeded(
            f"Ngày {vn_date(day)} là {WEEKDAYS[day.weekday()]}, không phải thứ Bảy. "
            "Bạn có chắc chắn muốn lên kế hoạch vào ngày này?",
            "confirm_not_saturday",
        )


def item_snapshot(item: PlanItem) -> dict:
    """The item as JSON for history: columns, geometry and criteria."""
    data = snapshot(item)
    data["geometry"] = mapping(to_shape(item.geom)) if item.geom is not None else None
    data["criteria_ids"] = sorted(c.id for c in item.criteria)
    return data


def audit_item(session, item: PlanItem, action: str, by: str, before: dict | None) -> None:
    session.flush()
    audit.record(
        session, "plan_item", item.id, action, by, before, item_snapshot(item), item.unit_id
    )


def add_item(session: Session, plan_id: int, data: dict, by: str) -> PlanItem:
    """Check and add a planned item to a plan; returns it (flushed, not committed)."""
    by = check_by(by)
    plan = get_plan(session, plan_id)
    values = _item_values(session, plan, data)
    confirm_saturday(values["planned_date"], data)
    item = PlanItem(plan_id=plan.id, created_by=by, status="planned", **values)
    session.add(item)
    audit_item(session, item, "create", by, None)
    return item


def update_item(session: Session, item_id: int, data: dict, by: str, version) -> PlanItem:
    """Replace a planned item's values; only items still ``planned`` can be edited."""
    by = check_by(by)
    item = get_item(session, item_id)
    check_version(item, version, f"Việc số {item_id}")
    if item.status != "planned":
        raise PlanError(f"Việc số {item_id} đã được ghi nhận ({item.status}), không sửa được nữa.")
    values = _item_values(session, item.plan, data)
    if values["planned_date"] != item.planned_date:
        confirm_saturday(values["planned_date"], data)
    before = item_snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    item.version += 1
    item.updated_by, item.updated_at = by, now()
    audit_item(session, item, "update", by, before)
    return item


def delete_item(session: Session, item_id: int, by: str, version) -> None:
    """Remove a planned item that has not been acted on (its history stays)."""
    by = check_by(by)
    item = get_item(session, item_id)
    check_version(item, version, f"Việc số {item_id}")
    if item.status != "planned":
        raise PlanError(f"Việc số {item_id} đã được ghi nhận ({item.status}), không xoá được.")
    audit.record(
        session, "plan_item", item.id, "delete", by, item_snapshot(item), None, item.unit_id
    )
    session.delete(item)
    session.flush()


def get_item(session: Session, item_id: int) -> PlanItem:
    item = session.get(PlanItem, item_id)
    if item is None:
        raise NotFoundError(f"Không có việc kế hoạch số {item_id}.")
    return item


def assign_sponsored_communes(
    session: Session, plan_id: int, department_id: int, data: dict, by: str
) -> list[PlanItem]:
    """Province plan: one task per commune ``department_id`` sponsors on the planned date."""
    plan = get_plan(session, plan_id)
    if plan.kind != "province":
        raise PlanError("Chỉ kế hoạch của tỉnh mới giao việc theo xã đỡ đầu.")
    day = _date(data, "planned_date", _Problems()) or plan.period_from
    units = [s.unit_id for s in sponsorships_on(session, day) if s.department_id == department_id]
    if not units:
        raise PlanError(f"Đơn vị này không đỡ đầu xã nào vào ngày {vn_date(day)}.")
    return [
        add_item(session, plan_id, {**data, "assignee_id": department_id, "unit_id": u}, by)
        for u in units
    ]
