"""What became of a planned item: done (it turns into an activity, the link kept), missed
(with a reason) or moved to another Saturday (a new item, linked from the old one)."""

from __future__ import annotations

import datetime as dt

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from geo.models import Activity, PlanItem
from services.activities import create_activity
from services.activity_input import parse_date, vn_date
from services.plans import (
    PlanError,
    audit_item,
    check_by,
    check_version,
    confirm_saturday,
    get_item,
    item_snapshot,
    now,
)


def _open(item: PlanItem) -> None:
    if item.status != "planned":
        labels = {"done": "đã thực hiện", "missed": "đã ghi là không thực hiện", "moved": "đã dời"}
        raise PlanError(f"Việc số {item.id} {labels.get(item.status, item.status)} rồi.")


def _open_item(session: Session, item_id: int, version) -> PlanItem:
    """The item, checked to be the version the user saw and still planned."""
    item = get_item(session, item_id)
    if version is not None:
        check_version(item, version, f"Việc số {item_id}")
    _open(item)
    return item


def _change(session: Session, item: PlanItem, by: str, **values) -> None:
    """Set ``values`` on the item, count a new version and keep the change in history."""
    before = item_snapshot(item)
    for name, value in values.items():
        setattr(item, name, value)
    item.version += 1
    item.updated_by, item.updated_at = by, now()
    audit_item(session, item, "update", by, before)


def activity_prefill(session: Session, item_id: int, today: dt.date | None = None) -> dict:
    """The activity form's values from a planned item (the date: the planned day, or today
    when the work was done before it)."""
    item = get_item(session, item_id)
    today = today or dt.date.today()
    return {
        "plan_item_id": item.id,
        "plan_title": item.plan.title,
        "activity_date": min(item.planned_date, today).isoformat(),
        "type_code": item.type_code,
        "organiser_id": item.assignee_id,
        "quantity": item.planned_quantity,
        "village": item.village,
        "description": item.description or f"Theo kế hoạch: {item.plan.title}",
        "reported_unit_id": item.unit_id,
        "criteria_ids": sorted(c.id for c in item.criteria),
        "geometry": mapping(to_shape(item.geom)) if item.geom is not None else None,
        "version": item.version,
    }


def record_activity(
    session: Session, item_id: int, data: dict, by: str, today: dt.date | None = None
) -> Activity:
    """Record the activity a planned item became and mark the item done (one step)."""
    by = check_by(by)
    item = _open_item(session, item_id, data.get("plan_version"))
    organiser = str(data.get("organiser_id") or "")
    if organiser and organiser != str(item.assignee_id):
        raise PlanError(
            f"Việc này được giao cho {item.assignee.name}: hoạt động phải do đơn vị đó tổ chức.",
            details=[{"field": "organiser_id", "message": "Đơn vị tổ chức khác đơn vị được giao."}],
        )
    activity = create_activity(session, {**data, "organiser_id": item.assignee_id}, by, today)
    _change(session, item, by, status="done", activity_id=activity.id)
    return activity


def mark_missed(session: Session, item_id: int, reason: str, by: str, version) -> PlanItem:
    """Record that a planned item did not happen, and why."""
    by = check_by(by)
    item = _open_item(session, item_id, version if version is not None else "")
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise PlanError(
            "Hãy ghi lý do không thực hiện được.",
            details=[{"field": "missed_reason", "message": "Lý do: chưa nhập."}],
        )
    _change(session, item, by, status="missed", missed_reason=reason)
    return item


def move_item(session: Session, item_id: int, data: dict, by: str, version) -> PlanItem:
    """Move a planned item to another day: a new planned item, the old one marked ``moved``."""
    by = check_by(by)
    item = _open_item(session, item_id, version if version is not None else "")
    try:
        day = parse_date(data.get("moved_to_date"))
    except ValueError as exc:
        raise PlanError(f"Ngày dời đến: {exc}.") from None
    plan = item.plan
    if day is None or day == item.planned_date:
        raise PlanError("Hãy chọn một ngày khác để dời việc đến.")
    if not plan.period_from <= day <= plan.period_to:
        raise PlanError(
            f"Ngày {vn_date(day)} nằm ngoài kỳ kế hoạch ({vn_date(plan.period_from)} – "
            f"{vn_date(plan.period_to)}): hãy thêm việc vào kế hoạch của kỳ sau."
        )
    confirm_saturday(day, data)
    new = PlanItem(
        plan_id=plan.id, planned_date=day, assignee_id=item.assignee_id, unit_id=item.unit_id,
        village=item.village, type_code=item.type_code, planned_quantity=item.planned_quantity,
        quantity_unit=item.quantity_unit, lead_person=item.lead_person,
        description=item.description, geom=item.geom, deadline=item.deadline,
        criteria=list(item.criteria), status="planned", created_by=by,
    )  # fmt: skip
    if new.deadline and new.deadline < day:
        new.deadline = day
    session.add(new)
    audit_item(session, new, "create", by, None)
    _change(session, item, by, status="moved", moved_to_date=day, moved_to_id=new.id)
    return new
