"""Spatial questions answered in the database, with the spatial index, on both backends.

PostGIS uses its GiST index for ``ST_Intersects`` by itself; SpatiaLite does not,
so the queries about one shape add the ``SpatialIndex`` virtual-table filter there. Joins
of the communes with many shapes run polygon by polygon instead (``polygons_then_shapes``).
Lengths and areas are measured after transforming to ``METRIC_SRID``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from geo.models import (
    METRIC_SRID,
    STORAGE_SRID,
    Activity,
    ActivityCommune,
    AdminUnit,
    Sponsorship,
    UnitGeometry,
)


def is_spatialite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_filter(session: Session, table: str, column, id_column, frame) -> sa.ColumnElement:
    """A condition that lets the spatial index pre-select rows whose box meets ``frame``."""
    if not is_spatialite(session):
        return sa.true()
    candidates: sa.Select = (
        sa.select(sa.literal_column("ROWID"))
        .select_from(sa.table("SpatialIndex"))
        .where(
            sa.literal_column("f_table_name") == table,
            sa.literal_column("f_geometry_column") == column,
            sa.literal_column("search_frame") == frame,
        )
    )
    return id_column.in_(candidates)


class PolygonsFirst(sa.sql.expression.Join):
    """An inner join that SQLite must run with its left side as the outer loop."""

    inherit_cache = True


@compiles(PolygonsFirst, "sqlite")
def _cross_join(element, compiler, **kw) -> str:
    # SQLite keeps the left table of a CROSS JOIN as the outer loop (its documented way)
    kw["asfrom"] = True
    left, right = compiler.process(element.left, **kw), compiler.process(element.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(element.onclause, **kw)}"


def polygons_then_shapes(
    session: Session, units, shapes, shape_geom, shape_box=None
) -> PolygonsFirst:
    """``units`` (a join holding ``unit_geometry``) joined to the ``shapes`` they meet.

    For a join of a few commune polygons with many shapes. On SpatiaLite the join runs
    polygon by polygon, with a test of the boxes stored in the geometry blobs instead
    of ``index_filter``: SpatiaLite's cache of the last prepared geometry then serves
    every shape of a polygon (2,000 points in the 78 communes: 0.45 s, against 1.4–2.9 s
    looking each shape up in the index, which makes every ``ST_Intersects`` prepare its
    polygon again). PostGIS uses its GiST index for ``ST_Intersects`` by itself.
    ``shape_box``: the shapes' ``(minx, miny, maxx, maxy)`` columns when they have them
    (tested before ``shape_geom`` is built).
    """
    meets = sa.func.ST_Intersects(UnitGeometry.geom, shape_geom)
    if not is_spatialite(session):
        return PolygonsFirst(units, shapes, meets)
    if shape_box is None:
        boxes = sa.func.MbrIntersects(UnitGeometry.geom, shape_geom) == 1
    else:
        minx, miny, maxx, maxy = shape_box
        boxes = sa.and_(
            minx <= sa.func.MbrMaxX(UnitGeometry.geom),
            maxx >= sa.func.MbrMinX(UnitGeometry.geom),
            miny <= sa.func.MbrMaxY(UnitGeometry.geom),
            maxy >= sa.func.MbrMinY(UnitGeometry.geom),
        )
    return PolygonsFirst(units, shapes, sa.and_(boxes, meets))


def current_communes() -> sa.Join:
    """``unit_geometry`` joined to its ``admin_unit`` (filter on both in the WHERE)."""
    units, geoms = AdminUnit.__table__, UnitGeometry.__table__
    return geoms.join(units, units.c.id == geoms.c.unit_id)


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


JOIN_BATCH = 1000


def join_activities_to_communes(
    session: Session, activity_ids: list[int], day_rule: sa.ColumnElement | None = None
) -> int:
    """Fill ``activity_commune`` for the drawn activities ``activity_ids``; rows added.

    One ``INSERT … SELECT`` per 1,000 activities, with the spatial index on both
    backends. Each activity meets the current boundaries of the communes valid on
    ``day_rule`` (an SQL date over ``Activity``; default its ``activity_date``), with
    its length (lines) or area (polygons) in each, measured in ``METRIC_SRID`` as
    ``communes_for_geometry`` does. Activities that already have communes are left alone.
    """
    added = 0
    for start in range(0, len(activity_ids), JOIN_BATCH):
        rows = _commune_parts(session, activity_ids[start : start + JOIN_BATCH], day_rule)
        columns = ["activity_id", "unit_id", "activity_date", "length_m", "area_m2"]
        insert = sa.insert(ActivityCommune).from_select(columns, rows)
        # rowcount is -1 for INSERT … SELECT through psycopg here: count what comes back
        added += len(session.execute(insert.returning(ActivityCommune.unit_id)).all())
    return added


def _commune_parts(session: Session, ids: list[int], day_rule) -> sa.Select:
    day = Activity.activity_date if day_rule is None else day_rule
    part = sa.func.ST_Transform(
        sa.func.ST_Intersection(UnitGeometry.geom, Activity.geom), METRIC_SRID
    )
    kind = sa.func.GeometryType(Activity.geom)
    done = sa.select(ActivityCommune.activity_id).where(ActivityCommune.activity_id == Activity.id)
    pairs = polygons_then_shapes(session, current_communes(), Activity.__table__, Activity.geom)
    return (
        sa.select(
            Activity.id,
            AdminUnit.id,
            Activity.activity_date,
            sa.case((kind.like("%LINESTRING%"), sa.func.ST_Length(part))),
            sa.case((kind.like("%POLYGON%"), sa.func.ST_Area(part))),
        )
        .select_from(pairs)
        .where(UnitGeometry.is_current)
        .where(Activity.id.in_(ids), Activity.geom.is_not(None), ~sa.exists(done))
        .where(AdminUnit.level == "commune")
        .where(sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day))
        .where(sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day))
    )
