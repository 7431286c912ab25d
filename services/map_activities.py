"""Activities of a period as compact GeoJSON for the map, and the map's filter options."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from geo.errors import NotFoundError
from geo.models import Activity, ActivityType, CriteriaSet, Criterion, Organisation
from services.communes import valid_on
from services.map_boundaries import round_coordinates
from services.map_data import MapQuery, activity_filter, departments_on


def activities_geojson(session: Session, query: MapQuery) -> str:
    """A FeatureCollection of the activities of the period that have a geometry.

    Properties are kept short (``t`` type code, ``d`` ISO date, ``o`` organiser id)
    because a quarter can hold thousands of activities; details come on click.
    """
    rows = session.execute(
        sa.select(
            Activity.id,
            Activity.type_code,
            Activity.activity_date,
            Activity.organiser_id,
            sa.func.ST_AsBinary(Activity.geom).label("wkb"),
        )
        .where(Activity.geom.is_not(None), *activity_filter(query))
        .order_by(Activity.activity_date, Activity.id)
    ).all()
    geoms: list | np.ndarray = (
        round_coordinates(shapely.from_wkb([bytes(r.wkb) for r in rows])) if rows else []
    )
    parts = [
        '{"type":"Feature","id":'
        + str(int(r.id))
        + ',"geometry":'
        + shapely.to_geojson(g)
        + ',"properties":'
        + json.dumps(
            {"t": r.type_code, "d": r.activity_date.isoformat(), "o": r.organiser_id},
            separators=(",", ":"),
        )
        + "}"
        for r, g in zip(rows, geoms, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def activity_detail(session: Session, activity_id: int) -> dict:
    """One activity, for a marker's popup."""
    row = session.execute(
        sa.select(Activity, ActivityType, Organisation)
        .join(ActivityType, ActivityType.code == Activity.type_code)
        .outerjoin(Organisation, Organisation.id == Activity.organiser_id)
        .where(Activity.id == activity_id, Activity.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFoundError(f"Không tìm thấy hoạt động số {activity_id}.")
    a, t, o = row
    return {
        "id": a.id,
        "date": a.activity_date.isoformat(),
        "type_code": t.code,
        "type_vi": t.name_vi,
        "type_en": t.name_en,
        "organiser": o.name if o else None,
        "village": a.village,
        "participants": a.participants,
        "workdays": a.workdays,
        "quantity": a.quantity,
        "quantity_unit": a.quantity_unit or t.unit_of_measure,
        "funds_vnd": a.funds_vnd,
        "description": a.description,
        "is_demo": a.is_demo,
        "communes": [c.unit.name for c in a.communes],
    }


def filter_options(session: Session, day: dt.date) -> dict:
    """Criteria sets and criteria, departments, organisers and activity types to choose from."""
    sets = session.scalars(sa.select(CriteriaSet).order_by(CriteriaSet.valid_from)).all()
    criteria = session.scalars(
        sa.select(Criterion).order_by(Criterion.criteria_set_id, Criterion.number)
    ).all()
    organisers = session.scalars(
        sa.select(Organisation)
        .options(defer(Organisation.area_geom))  # the sponsored areas are not needed here
        .where(Organisation.kind.in_(("department", "working_group")), valid_on(Organisation, day))
        .order_by(Organisation.kind, Organisation.name)
    ).all()
    types = session.scalars(sa.select(ActivityType).order_by(ActivityType.name_vi)).all()
    return {
        "criteria_sets": [
            {
                "id": s.id,
                "name": s.name,
                "legal_basis": s.legal_basis,
                "valid_from": s.valid_from.isoformat(),
                "valid_to": s.valid_to.isoformat() if s.valid_to else None,
            }
            for s in sets
        ],
        "criteria": [
            {
                "id": c.id,
                "set": c.criteria_set_id,
                "number": c.number,
                "name_vi": c.name_vi,
                "name_en": c.name_en,
            }
            for c in criteria
        ],
        "departments": [
            {"id": d.id, "name": d.name, "short_name": d.short_name}
            for d in departments_on(session, day)
        ],
        "organisers": [
            {"id": o.id, "name": o.name, "short_name": o.short_name, "kind": o.kind}
            for o in organisers
        ],
        "activity_types": [
            {"code": t.code, "name_vi": t.name_vi, "name_en": t.name_en, "colour": t.colour}
            for t in types
        ],
    }
