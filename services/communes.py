"""Today's communes with the facts a map needs: geometry, kind, difficulty."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, Classification, UnitGeometry

DIFFICULTY_FLAGS = ("mountainous", "coastal_sandy", "island")


def valid_on(model, day: dt.date):
    """SQL condition: a row of ``model`` (with valid_from/valid_to) is valid on ``day``."""
    return sa.and_(
        sa.or_(model.valid_from.is_(None), model.valid_from <= day),
        sa.or_(model.valid_to.is_(None), model.valid_to > day),
    )


def communes_on(session: Session, day: dt.date) -> gpd.GeoDataFrame:
    """Communes valid on ``day`` that have a current geometry, in EPSG:4326."""
    rows = session.execute(
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.kind,
            UnitGeometry.area_km2,
            UnitGeometry.official_area_km2,
            sa.func.ST_AsBinary(UnitGeometry.geom).label("wkb"),
        )
        .join(UnitGeometry, UnitGeometry.unit_id == AdminUnit.id)
        .where(AdminUnit.level == "commune", UnitGeometry.is_current, valid_on(AdminUnit, day))
        .order_by(AdminUnit.code)
    ).all()
    frame = gpd.GeoDataFrame(
        [r._asdict() for r in rows],
        columns=["id", "code", "name", "kind", "area_km2", "official_area_km2", "wkb"],
    )
    geometry = shapely.from_wkb([bytes(w) for w in frame.pop("wkb")]) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


@dataclass(frozen=True)
class Flag:
    value: str | None  # "true", "false", or None for unknown
    legal_basis: str | None
    confidence: str | None
    rule: str | None
    source: str | None


def classifications_on(session: Session, day: dt.date) -> dict[int, dict[str, Flag]]:
    """``{unit_id: {flag: Flag}}``: the latest recorded row valid on ``day`` per unit and flag."""
    rows = session.scalars(
        sa.select(Classification)
        .where(
            Classification.superseded_at.is_(None),
            Classification.period_from <= day,
            sa.or_(Classification.period_to.is_(None), Classification.period_to > day),
        )
        .order_by(Classification.recorded_at, Classification.id)
    )
    result: dict[int, dict[str, Flag]] = {}
    for row in rows:
        result.setdefault(row.unit_id, {})[row.flag] = Flag(
            row.value, row.legal_basis, row.confidence, row.rule, row.source
        )
    return result


def difficulty(flags: dict[str, Flag]) -> str:
    """One of ``mountainous``, ``coastal_sandy``, ``island``, ``several``, ``none``, ``no_data``.

    ``none`` needs every flag known to be false; one unknown flag makes it ``no_data``.
    """
    true = [f for f in DIFFICULTY_FLAGS if f in flags and flags[f].value == "true"]
    if len(true) > 1:
        return "several"
    if true:
        return true[0]
    known_false = all(f in flags and flags[f].value == "false" for f in DIFFICULTY_FLAGS)
    return "none" if known_false else "no_data"


def classifications_version(session: Session) -> str:
    """A fingerprint that changes whenever a classification is recorded (for caches)."""
    row = session.execute(
        sa.select(
            sa.func.count(Classification.id),
            sa.func.max(Classification.id),
            sa.func.max(Classification.recorded_at),
        )
    ).one()
    return "|".join(str(v) for v in row)
