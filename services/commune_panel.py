"""Everything the side panel of the planner map says about one commune."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import UnknownCommuneError
from geo.models import (
    Activity,
    ActivityCommune,
    ActivityType,
    AdminUnit,
    Criterion,
    NtmLevel,
    Organisation,
    PriorityListItem,
    Sponsorship,
    UnitGeometry,
)
from services import lineage
from services.communes import DIFFICULTY_FLAGS, classifications_on, difficulty, valid_on
from services.map_data import criteria_set_on, latest_assessments

RECENT_ACTIVITIES = 8


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def commune_panel(
    session: Session,
    unit_id: int,
    day: dt.date,
    criteria_set_id: int | None = None,
    priority_list_id: int | None = None,
) -> dict:
    """A plain dict with the commune's identity, history, facts and recent activities."""
    unit = session.get(AdminUnit, unit_id)
    if unit is None or unit.level != "commune":
        raise UnknownCommuneError(f"Không tìm thấy xã có mã số nội bộ {unit_id}.")
    geometry = session.scalars(
        sa.select(UnitGeometry).where(UnitGeometry.unit_id == unit_id, UnitGeometry.is_current)
    ).first()
    flags = classifications_on(session, day).get(unit_id, {})
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "valid_from": _iso(unit.valid_from),
        "area_km2": geometry.area_km2 if geometry else None,
        "official_area_km2": geometry.official_area_km2 if geometry else None,
        "boundary_source": geometry.attribution or geometry.source if geometry else None,
        "former_units": former_units(session, unit_id),
        "difficulty": difficulty(flags),
        "classifications": [
            {
                "flag": flag,
                "value": f.value,
                "legal_basis": f.legal_basis,
                "confidence": f.confidence,
                "rule": f.rule,
            }
            for flag, f in sorted(flags.items(), key=lambda kv: _flag_order(kv[0]))
        ],
        "criteria": criteria_checklist(session, unit_id, day, criteria_set_id),
        "ntm_levels": ntm_history(session, unit_id, day),
        "sponsors": sponsors_of(session, unit_id, day),
        "activities": recent_activities(session, unit_id, day),
        "in_priority_list": in_priority_list(session, unit_id, priority_list_id),
    }


def _flag_order(flag: str) -> int:
    order = (*DIFFICULTY_FLAGS, "extremely_difficult", "commune_group")
    return order.index(flag) if flag in order else len(order)


def former_units(session: Session, unit_id: int) -> list[dict]:
    """The units that became this one (``services.lineage``), newest change first, flattened
    with ``into_id`` naming the unit each went into, and the 2020-era district of each."""
    result: list[dict] = []

    def walk(nodes, into_id: int) -> None:
        for node in nodes:
            old = session.get(AdminUnit, node.unit_id)
            district = old.parent if old and old.parent and old.parent.level == "district" else None
            result.append(
                {
                    "id": node.unit_id,
                    "name": node.name,
                    "level": old.level if old else None,
                    "district": district.name if district else None,
                    "change_type": node.change_type,
                    "effective_date": _iso(node.effective_date),
                    "legal_basis": node.legal_basis,
                    "into_id": into_id,
                }
            )
            walk(node.predecessors, node.unit_id)

    walk(lineage.predecessors(session, unit_id), unit_id)
    return result


def criteria_checklist(
    session: Session, unit_id: int, day: dt.date, criteria_set_id: int | None
) -> dict:
    """The criteria of the set with the latest status of each (``no_data`` when none)."""
    if criteria_set_id is None:
        found = criteria_set_on(session, day)
        criteria_set_id = found.id if found else None
    criteria = list(
        session.scalars(
            sa.select(Criterion)
            .where(Criterion.criteria_set_id == criteria_set_id)
            .order_by(Criterion.number)
        )
    )
    latest = latest_assessments(session, [c.id for c in criteria], day).get(unit_id, {})
    items = []
    for c in criteria:
        a = latest.get(c.id)
        status = a.status if a and a.status in ("met", "unmet") else "no_data"
        items.append(
            {
                "criterion_id": c.id,
                "number": c.number,
                "name_vi": c.name_vi,
                "name_en": c.name_en,
                "status": status,
                "assessed_on": _iso(a.assessed_on) if a else None,
                "source": a.source if a else None,
                "is_demo": bool(a and a.is_demo),
            }
        )
    return {"criteria_set_id": criteria_set_id, "items": items}


def ntm_history(session: Session, unit_id: int, day: dt.date) -> list[dict]:
    rows = session.scalars(
        sa.select(NtmLevel)
        .where(NtmLevel.unit_id == unit_id, NtmLevel.year <= day.year)
        .order_by(NtmLevel.year.desc(), NtmLevel.recorded_at.desc())
    )
    return [
        {
            "year": r.year,
            "level": r.level,
            "target_level": r.target_level,
            "target_year": r.target_year,
            "derived": r.confidence == "derived",
            "confidence": r.confidence,
            "rule": r.rule,
            "source": r.source,
        }
        for r in rows
    ]


def sponsors_of(session: Session, unit_id: int, day: dt.date) -> list[dict]:
    rows = session.execute(
        sa.select(Sponsorship, Organisation)
        .join(Organisation, Organisation.id == Sponsorship.department_id)
        .where(Sponsorship.unit_id == unit_id, valid_on(Sponsorship, day))
        .order_by(Organisation.name)
    ).all()
    return [
        {
            "department_id": o.id,
            "name": o.name,
            "short_name": o.short_name,
            "valid_from": _iso(s.valid_from),
            "note": s.note,
            "is_demo": s.is_demo,
        }
        for s, o in rows
    ]


def recent_activities(session: Session, unit_id: int, day: dt.date) -> list[dict]:
    rows = session.execute(
        sa.select(Activity, ActivityType, Organisation)
        .join(ActivityCommune, ActivityCommune.activity_id == Activity.id)
        .join(ActivityType, ActivityType.code == Activity.type_code)
        .outerjoin(Organisation, Organisation.id == Activity.organiser_id)
        .where(
            ActivityCommune.unit_id == unit_id,
            Activity.deleted_at.is_(None),
            Activity.activity_date <= day,
        )
        .order_by(Activity.activity_date.desc(), Activity.id.desc())
        .limit(RECENT_ACTIVITIES)
    ).all()
    return [
        {
            "id": a.id,
            "date": _iso(a.activity_date),
            "type_code": t.code,
            "type_vi": t.name_vi,
            "type_en": t.name_en,
            "colour": t.colour,
            "organiser": o.short_name or o.name if o else None,
            "quantity": a.quantity,
            "quantity_unit": a.quantity_unit or t.unit_of_measure,
            "participants": a.participants,
            "is_demo": a.is_demo,
        }
        for a, t, o in rows
    ]


def in_priority_list(session: Session, unit_id: int, priority_list_id: int | None) -> bool | None:
    """Whether the commune is in the list; None when no list is chosen."""
    if priority_list_id is None:
        return None
    return (
        session.get(PriorityListItem, {"priority_list_id": priority_list_id, "unit_id": unit_id})
        is not None
    )
