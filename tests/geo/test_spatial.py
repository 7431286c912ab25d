"""Spatial joins in the database, on both backends, against the real communes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from shapely import LineString, Point, box

from geo import spatial
from geo.models import Activity, AdminUnit, Organisation, Sponsorship
from services.communes import communes_on

TODAY = dt.date(2026, 11, 26)


def _unit(session, name):
    return session.scalars(
        sa.select(AdminUnit).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _inner_point(session, name):
    frame = communes_on(session, TODAY)
    return frame.loc[frame["name"] == name, "geometry"].iloc[0].representative_point()


def test_point_in_commune(seeded):
    point = _inner_point(seeded, "Xã Vĩnh Linh")
    assert spatial.commune_at(seeded, point.x, point.y, TODAY).name == "Xã Vĩnh Linh"


def test_point_outside_province(seeded):
    assert spatial.commune_at(seeded, 105.0, 21.0, TODAY) is None
    assert spatial.distance_to_province_m(seeded, Point(105.0, 21.0), TODAY) > 300_000


def test_line_across_two_communes_has_length_in_each(seeded):
    a, b = _inner_point(seeded, "Phường Đông Hà"), _inner_point(seeded, "Phường Nam Đông Hà")
    line = LineString([a, b])
    parts = spatial.communes_for_geometry(seeded, line, TODAY)
    names = {p.name for p in parts}
    assert {"Phường Đông Hà", "Phường Nam Đông Hà"} <= names
    total = sum(p.length_m for p in parts)
    import geopandas as gpd

    from geo.measure import length_m

    expected = length_m(gpd.GeoSeries([line], crs=4326))[0]
    assert abs(total - expected) / expected < 0.005
    assert all(p.area_m2 is None for p in parts)


def test_polygon_area_in_commune(seeded):
    p = _inner_point(seeded, "Xã Cam Lộ")
    square = box(p.x - 0.001, p.y - 0.001, p.x + 0.001, p.y + 0.001)
    parts = spatial.communes_for_geometry(seeded, square, TODAY)
    assert sum(x.area_m2 for x in parts) > 40_000  # about 213 m × 222 m


def test_sponsorship_area_is_one_shape(seeded):
    dept = Organisation(code="T-DEPT", name="Sở thử", kind="department", valid_from=TODAY)
    seeded.add(dept)
    seeded.flush()
    for name in ("Phường Đông Hà", "Phường Nam Đông Hà"):
        seeded.add(
            Sponsorship(
                department_id=dept.id,
                unit_id=_unit(seeded, name).id,
                valid_from=dt.date(2025, 7, 1),
            )
        )
    seeded.flush()
    shape = spatial.sponsorship_area(seeded, dept.id, TODAY)
    assert shape.geom_type in ("Polygon", "MultiPolygon")
    assert shape.contains(_inner_point(seeded, "Phường Đông Hà"))


def test_activities_inside_commune_in_period(seeded):
    point = _inner_point(seeded, "Xã Vĩnh Linh")
    for day in (dt.date(2026, 3, 7), dt.date(2026, 9, 5)):
        seeded.add(
            Activity(activity_date=day, type_code="ROAD_REPAIR", geom=spatial.to_db_geometry(point))
        )
    seeded.flush()
    unit = _unit(seeded, "Xã Vĩnh Linh")
    found = spatial.activities_in_commune(
        seeded, unit.id, dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    )
    assert [a.activity_date for a in found] == [dt.date(2026, 3, 7)]
