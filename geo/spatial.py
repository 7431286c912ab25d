"""Spatial questions answered in the database, with the spatial index, on both backends.

PostGIS uses its GiST index for ``ST_Intersects`` by itself; SpatiaLite does not,
so every query here adds the ``SpatialIndex`` virtual-table filter there.
Lengths and areas are measured after transforming to ``METRIC_SRID``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo.models import METRIC_SRID, STORAGE_SRID, Activity, AdminUnit, Sponsorship, UnitGeometry


def is_spatialite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_filter(session: Session, table: str, column, id_column, frame) -> sa.ColumnElement:
    """A condition that lets the spatial index pre-select rows whose box meets ``frame``."""
    if not is_spatialite(session):
        return sa.true()
    candidates = (
        sa.select(sa.literal_column("ROWID"))
        .select_from(sa.table("SpatialIndex"))
        .where(
            sa.literal_column("f_table_name") == table,
            sa.literal_column("f_geometry_column") == column,
            sa.literal_column("search_frame") == frame,
        )
    )
    return id_column.in_(candidates)


def unit_valid_on(day: dt.date) -> sa.ColumnElement:
    return sa.and_(
        sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day),
        sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day),
    )


@dataclass(frozen=True)
class CommunePart:
    """The part of a geometry that lies in one commune."""

    unit_id: int
    name: str
    length_m: float | None
    area_m2: float | None


def communes_for_geometry(session: Session, shape: BaseGeometry, day: dt.date) -> list[CommunePart]:
    """The communes valid on ``day`` that ``shape`` (EPSG:4326) falls in, with the part in each.

    A line gets its length in each commune, a polygon its area; a point neither.
    """
    geom = sa.func.ST_GeomFromText(shape.wkt, STORAGE_SRID)
    part = sa.func.ST_Transform(sa.func.ST_Intersection(UnitGeometry.geom, geom), METRIC_SRID)
    rows = session.execute(
        sa.select(
            AdminUnit.id,
            AdminUnit.name,
            sa.func.ST_Length(part).label("length_m"),
            sa.func.ST_Area(part).label("area_m2"),
        )
        .join(UnitGeometry, UnitGeometry.unit_id == AdminUnit.id)
        .where(
            AdminUnit.level == "commune",
            UnitGeometry.is_current,
            unit_valid_on(day),
            index_filter(session, "unit_geometry", "geom", UnitGeometry.id, geom),
            sa.func.ST_Intersects(UnitGeometry.geom, geom),
        )
        .order_by(AdminUnit.name)
    ).all()
    kind = shape.geom_type
    return [
        CommunePart(
            unit_id=r.id,
            name=r.name,
            length_m=float(r.length_m) if "LineString" in kind else None,
            area_m2=float(r.area_m2) if "Polygon" in kind else None,
        )
        for r in rows
    ]


def commune_at(session: Session, lon: float, lat: float, day: dt.date) -> AdminUnit | None:
    """The commune valid on ``day`` that contains the point, or None outside the province."""
    from shapely import Point

    parts = communes_for_geometry(session, Point(lon, lat), day)
    return session.get(AdminUnit, parts[0].unit_id) if parts else None


def distance_to_province_m(session: Session, shape: BaseGeometry, day: dt.date) -> float | None:
    """Shortest distance in metres from ``shape`` to the communes valid on ``day``."""
    geom = sa.func.ST_GeomFromText(shape.wkt, STORAGE_SRID)
    return session.scalar(
        sa.select(
            sa.func.min(
                sa.func.ST_Distance(
                    sa.func.ST_Transform(UnitGeometry.geom, METRIC_SRID),
                    sa.func.ST_Transform(geom, METRIC_SRID),
                )
            )
        )
        .join(AdminUnit, AdminUnit.id == UnitGeometry.unit_id)
        .where(AdminUnit.level == "commune", UnitGeometry.is_current, unit_valid_on(day))
    )


def sponsorship_area(session: Session, department_id: int, day: dt.date) -> BaseGeometry | None:
    """The communes a department sponsors on ``day``, dissolved into one (multi)polygon."""
    from geoalchemy2.shape import to_shape

    wkb = session.scalar(
        sa.select(sa.func.ST_Union(UnitGeometry.geom))
        .join(Sponsorship, Sponsorship.unit_id == UnitGeometry.unit_id)
        .where(
            Sponsorship.department_id == department_id,
            Sponsorship.valid_from <= day,
            sa.or_(Sponsorship.valid_to.is_(None), Sponsorship.valid_to > day),
            UnitGeometry.is_current,
        )
    )
    return None if wkb is None else to_shape(wkb)


def activities_in_commune(
    session: Session, unit_id: int, start: dt.date, end: dt.date
) -> list[Activity]:
    """Activities between ``start`` and ``end`` (inclusive) whose geometry meets the commune."""
    commune = (
        sa.select(UnitGeometry.geom)
        .where(UnitGeometry.unit_id == unit_id, UnitGeometry.is_current)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            sa.select(Activity)
            .where(
                Activity.deleted_at.is_(None),
                Activity.activity_date.between(start, end),
                index_filter(session, "activity", "geom", Activity.id, commune),
                sa.func.ST_Intersects(Activity.geom, commune),
            )
            .order_by(Activity.activity_date, Activity.id)
        )
    )


def to_db_geometry(shape: BaseGeometry):
    """A shapely geometry as a value for a geometry column in EPSG:4326."""
    return from_shape(shape, srid=STORAGE_SRID)
