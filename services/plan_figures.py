"""Plan against actual, the coming Saturday, and planned work for the map.

Plan against actual, per unit (``assignee_id``: the unit's own plan and the province's
tasks given to it) and period, by activity type, computed in SQL:

- ``planned``: items dated in the period that were not moved away (a moved item's work is
  counted once, on the item it was moved to), with their planned quantity;
- ``done`` / ``missed`` / ``open``: of those, by status; ``done_quantity`` is the quantity of
  the activities the done items became (deleted activities do not count);
- ``moved``: items of the period moved to another day;
- ``unplanned``: the unit's activities in the period that no planned item became.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import shapely
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy.orm import Session, joinedload, selectinload

from geo.models import Activity, ActivityType, AdminUnit, PlanItem, UnitGeometry
from services.activity_input import SATURDAY

FIGURES = (
    "planned", "planned_quantity", "done", "done_quantity", "missed", "moved", "open",
    "unplanned", "unplanned_quantity",
)  # fmt: skip
#: each figure's label: (Vietnamese, English)
FIGURE_LABELS = {
    "planned": ("Số việc kế hoạch", "Planned items"),
    "planned_quantity": ("Khối lượng kế hoạch", "Planned quantity"),
    "done": ("Đã làm", "Done"),
    "done_quantity": ("Khối lượng đã làm", "Quantity done"),
    "missed": ("Không làm", "Missed"),
    "moved": ("Đã dời", "Moved"),
    "open": ("Chưa đến hạn / chưa ghi", "Open"),
    "unplanned": ("Ngoài kế hoạch", "Unplanned"),
    "unplanned_quantity": ("Khối lượng ngoài kế hoạch", "Unplanned quantity"),
}
#: what ``item_properties`` reads, loaded with the items instead of one query per item
ITEM_DETAILS = (
    joinedload(PlanItem.plan), joinedload(PlanItem.unit), joinedload(PlanItem.assignee),
    joinedload(PlanItem.activity_type), selectinload(PlanItem.criteria),
)  # fmt: skip
#: tolerance (degrees, about 100 m) of the outlines of communes with undone work
OUTLINE_TOLERANCE = 0.001


@dataclass
class PlanVsActual:
    """Rows per activity type (``FIGURES`` plus ``type_code``, ``type_name``, ``unit``) and totals
    of the counts (quantities are only summed within one type: their units differ)."""

    organisation_id: int
    start: dt.date
    end: dt.date
    rows: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)


def _sum_if(condition, value=None):
    return sa.func.coalesce(
        sa.func.sum(sa.case((condition, value if value is not None else 1), else_=0)), 0
    )


def _item_figures(session: Session, org_id: int, start: dt.date, end: dt.date) -> dict:
    kept = PlanItem.status != "moved"
    done_qty = sa.case(
        (sa.and_(PlanItem.status == "done", Activity.deleted_at.is_(None)), Activity.quantity),
        else_=0,
    )
    query = (
        sa.select(
            PlanItem.type_code,
            _sum_if(kept).label("planned"),
            _sum_if(kept, PlanItem.planned_quantity).label("planned_quantity"),
            _sum_if(PlanItem.status == "done").label("done"),
            sa.func.coalesce(sa.func.sum(done_qty), 0).label("done_quantity"),
            _sum_if(PlanItem.status == "missed").label("missed"),
            _sum_if(PlanItem.status == "moved").label("moved"),
            _sum_if(PlanItem.status == "planned").label("open"),
        )
        .outerjoin(Activity, Activity.id == PlanItem.activity_id)
        .where(PlanItem.assignee_id == org_id, PlanItem.planned_date.between(start, end))
        .group_by(PlanItem.type_code)
    )
    return {row.type_code: row._asdict() for row in session.execute(query)}


def _unplanned(session: Session, org_id: int, start: dt.date, end: dt.date) -> dict:
    linked = sa.select(PlanItem.activity_id).where(PlanItem.activity_id.is_not(None))
    query = (
        sa.select(
            Activity.type_code,
            sa.func.count(Activity.id).label("unplanned"),
            sa.func.coalesce(sa.func.sum(Activity.quantity), 0).label("unplanned_quantity"),
        )
        .where(
            Activity.organiser_id == org_id,
            Activity.deleted_at.is_(None),
            Activity.activity_date.between(start, end),
            Activity.id.not_in(linked),
        )
        .group_by(Activity.type_code)
    )
    return {row.type_code: row._asdict() for row in session.execute(query)}


def plan_vs_actual(session: Session, org_id: int, period) -> PlanVsActual:
    """Plan against actual of unit ``org_id`` over ``period`` (anything with ``start``/``end``,
    e.g. ``services.periods.Period``)."""
    items = _item_figures(session, org_id, period.start, period.end)
    extra = _unplanned(session, org_id, period.start, period.end)
    types = {t.code: t for t in session.scalars(sa.select(ActivityType))}
    result = PlanVsActual(org_id, period.start, period.end)
    for code in sorted(set(items) | set(extra)):
        row = {name: 0 for name in FIGURES} | items.get(code, {}) | extra.get(code, {})
        row = {
            k: (float(v) if k.endswith("quantity") else int(v)) if k in FIGURES else v
            for k, v in row.items()
        }
        row["type_code"], row["type_name"] = code, types[code].name_vi
        row["unit"] = types[code].unit_of_measure
        result.rows.append(row)
    counts = [f for f in FIGURES if not f.endswith("quantity")]
    result.totals = {f: sum(r[f] for r in result.rows) for f in counts}
    return result


def next_saturday(today: dt.date | None = None) -> dt.date:
    """The Saturday on or after ``today``."""
    today = today or dt.date.today()
    return today + dt.timedelta(days=(SATURDAY - today.weekday()) % 7)


def items_on(session: Session, day: dt.date, org_id: int | None = None) -> list[PlanItem]:
    """Planned items of ``day`` still to do (of one unit when given), by unit and commune."""
    query = (
        sa.select(PlanItem)
        .join(AdminUnit, AdminUnit.id == PlanItem.unit_id)
        .where(PlanItem.planned_date == day, PlanItem.status == "planned")
        .options(*ITEM_DETAILS)
        .order_by(PlanItem.assignee_id, AdminUnit.name, PlanItem.id)
    )
    if org_id is not None:
        query = query.where(PlanItem.assignee_id == org_id)
    return list(session.scalars(query))


def items_between(
    session: Session, start: dt.date, end: dt.date, org_id: int | None = None
) -> list[PlanItem]:
    """Items dated ``start``..``end`` (of one unit when given), oldest first."""
    query = (
        sa.select(PlanItem)
        .where(PlanItem.planned_date.between(start, end))
        .options(*ITEM_DETAILS)
        .order_by(PlanItem.planned_date, PlanItem.id)
    )
    if org_id is not None:
        query = query.where(PlanItem.assignee_id == org_id)
    return list(session.scalars(query))


def _commune_shapes(session: Session, unit_ids: set[int]) -> dict:
    rows = session.execute(
        sa.select(UnitGeometry.unit_id, UnitGeometry.geom).where(
            UnitGeometry.unit_id.in_(unit_ids), UnitGeometry.is_current
        )
    )
    return {unit_id: to_shape(geom) for unit_id, geom in rows}


def map_layer(session: Session, start: dt.date, end: dt.date, today: dt.date | None = None) -> dict:
    """Planned items of the range as GeoJSON (items without a shape sit inside their commune),
    and the outlines of communes with planned work not done (open or missed)."""
    items = items_between(session, start, end)
    shapes = _commune_shapes(session, {i.unit_id for i in items})
    features = []
    for item in items:
        if item.geom is not None:
            geometry = to_shape(item.geom)
        elif item.unit_id in shapes:
            geometry = shapes[item.unit_id].point_on_surface()
        else:
            continue
        features.append({"type": "Feature", "id": item.id, "geometry": mapping(geometry),
                         "properties": item_properties(item, today)})  # fmt: skip
    undone = sorted({i.unit_id for i in items if i.status in ("planned", "missed")} & set(shapes))
    names = {i.unit_id: i.unit.name for i in items}
    outlines = [
        {"type": "Feature", "id": u, "properties": {"unit_id": u, "name": names[u]},
         "geometry": mapping(shapely.simplify(shapes[u], OUTLINE_TOLERANCE, preserve_topology=True))}
        for u in undone
    ]  # fmt: skip
    return {
        "items": {"type": "FeatureCollection", "features": features},
        "undone_communes": {"type": "FeatureCollection", "features": outlines},
    }


def item_properties(item: PlanItem, today: dt.date | None = None) -> dict:
    """An item's fields for JSON (map popups, the API)."""
    today = today or dt.date.today()
    return {
        "id": item.id, "plan_id": item.plan_id, "plan_title": item.plan.title,
        "planned_date": item.planned_date.isoformat(), "status": item.status,
        "overdue": item.status == "planned" and item.planned_date < today,
        "type_code": item.type_code, "type_name": item.activity_type.name_vi,
        "planned_quantity": item.planned_quantity, "quantity_unit": item.quantity_unit,
        "unit_id": item.unit_id, "commune": item.unit.name, "village": item.village,
        "assignee_id": item.assignee_id, "assignee": item.assignee.name,
        "lead_person": item.lead_person, "description": item.description,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "missed_reason": item.missed_reason, "activity_id": item.activity_id,
        "moved_to_date": item.moved_to_date.isoformat() if item.moved_to_date else None,
        "criteria": [{"id": c.id, "number": c.number, "name": c.name_vi} for c in item.criteria],
        "version": item.version,
    }  # fmt: skip
