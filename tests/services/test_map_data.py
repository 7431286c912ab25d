"""What the planner map shows per commune, on both databases."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    CriteriaSet,
    CriterionAssessment,
    NtmLevel,
    Organisation,
    Sponsorship,
)
from geo.spatial import to_db_geometry
from services import map_boundaries, map_themes
from services.map_data import MapQuery, commune_rows
from services.search import fold, search_communes

TODAY = dt.date(2026, 11, 26)


def _unit(session, name: str) -> AdminUnit:
    return session.scalars(
        sa.select(AdminUnit).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _set_2026(session) -> CriteriaSet:
    return session.scalars(
        sa.select(CriteriaSet).where(CriteriaSet.code == "NTM_XA_2026_2030")
    ).one()


def _assess(session, unit, criterion, status, day):
    session.add(
        CriterionAssessment(
            unit_id=unit.id,
            criterion_id=criterion.id,
            status=status,
            assessed_on=day,
            source="test",
        )
    )


def _rows_by_name(session, **kwargs):
    return {r["name"]: r for r in commune_rows(session, MapQuery(day=TODAY, **kwargs))}


def test_every_commune_of_today_once(seeded):
    rows = commune_rows(seeded, MapQuery(day=TODAY))
    assert len(rows) == 78
    assert len({r["id"] for r in rows}) == 78
    vinh_linh = next(r for r in rows if r["name"] == "Xã Vĩnh Linh")
    assert "Huyện Vĩnh Linh" in vinh_linh["former_districts"]
    assert vinh_linh["area_km2"] > 0


def test_unknown_is_not_zero(seeded):
    criteria = _set_2026(seeded).criteria
    all_met, partly, untouched = (
        _unit(seeded, "Xã Vĩnh Linh"),
        _unit(seeded, "Xã Đakrông"),
        _unit(seeded, "Xã Cam Lộ"),
    )
    for criterion in criteria:
        _assess(seeded, all_met, criterion, "met", dt.date(2026, 5, 1))
    _assess(seeded, partly, criteria[0], "unmet", dt.date(2026, 5, 1))
    _assess(seeded, partly, criteria[1], "unmet", dt.date(2026, 5, 1))
    _assess(seeded, partly, criteria[2], "unknown", dt.date(2026, 5, 1))
    _assess(seeded, partly, criteria[3], "met", dt.date(2026, 5, 1))
    seeded.flush()
    rows = _rows_by_name(seeded)
    assert rows[all_met.name]["unmet"] == 0 and rows[all_met.name]["unknown"] == 0
    assert rows[partly.name]["unmet"] == 2
    assert rows[partly.name]["unknown"] == len(criteria) - 3
    assert rows[untouched.name]["unmet"] is None
    theme = map_themes.classify(list(rows.values()), "unmet")
    counts = {c["key"]: c["count"] for c in theme["classes"]}
    assert counts["no_data"] == 76
    assert theme["assign"][all_met.id] == "0-0"
    assert theme["assign"][untouched.id] == "no_data"
    assert sum(counts.values()) == 78


def test_latest_assessment_wins_and_future_ones_are_ignored(seeded):
    criterion = _set_2026(seeded).criteria[0]
    unit = _unit(seeded, "Xã Vĩnh Linh")
    _assess(seeded, unit, criterion, "unmet", dt.date(2026, 3, 1))
    _assess(seeded, unit, criterion, "met", dt.date(2026, 9, 1))
    _assess(seeded, unit, criterion, "unmet", dt.date(2027, 1, 1))
    seeded.flush()
    rows = _rows_by_name(seeded, criterion_id=criterion.id)
    assert rows[unit.name]["criterion"] == "met"
    assert rows["Xã Cam Lộ"]["criterion"] is None
    theme = map_themes.classify(list(rows.values()), "criterion")
    assert [c["key"] for c in theme["classes"]] == ["unmet", "met", "no_data"]
    assert {c["key"]: c["count"] for c in theme["classes"]} == {"unmet": 0, "met": 1, "no_data": 77}


def test_difficulty_classes_cover_every_commune(seeded):
    rows = commune_rows(seeded, MapQuery(day=TODAY))
    theme = map_themes.classify(rows, "difficulty")
    counts = {c["key"]: c["count"] for c in theme["classes"]}
    assert sum(counts.values()) == 78
    assert counts["mountainous"] > 0 and counts["no_data"] > 0


def test_ntm_levels_derived_and_registered(seeded):
    unit = _unit(seeded, "Xã Vĩnh Linh")
    seeded.add(
        NtmLevel(unit_id=unit.id, year=2026, level="registered", target_level="standard",
                 target_year=2027, confidence="verified", source="test")
    )  # fmt: skip
    seeded.flush()
    rows = commune_rows(seeded, MapQuery(day=TODAY))
    theme = map_themes.classify(rows, "ntm")
    keys = [c["key"] for c in theme["classes"]]
    assert theme["assign"][unit.id] == "registered:2027"
    assert keys.index("registered:2027") < keys.index("standard") < keys.index("no_data")
    derived = sum(c["derived"] for c in theme["classes"])
    assert derived == sum(1 for r in rows if r["ntm_derived"]) and derived > 0


def test_sponsors_none_one_several(seeded):
    departments = seeded.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == "department", Organisation.valid_to.is_(None))
        .order_by(Organisation.code)
    ).all()[:2]
    one, two = _unit(seeded, "Xã Vĩnh Linh"), _unit(seeded, "Xã Đakrông")
    for unit, deps in ((one, departments[:1]), (two, departments)):
        for d in deps:
            seeded.add(
                Sponsorship(department_id=d.id, unit_id=unit.id, valid_from=dt.date(2025, 8, 1))
            )
    ended = _unit(seeded, "Xã Cam Lộ")
    seeded.add(Sponsorship(department_id=departments[0].id, unit_id=ended.id,
                           valid_from=dt.date(2025, 8, 1), valid_to=dt.date(2026, 1, 1)))  # fmt: skip
    seeded.flush()
    theme = map_themes.classify(commune_rows(seeded, MapQuery(day=TODAY)), "sponsor")
    assert theme["assign"][one.id] == f"dept:{departments[0].id}"
    assert theme["assign"][two.id] == "several"
    assert theme["assign"][ended.id] == "none"
    counts = {c["key"]: c["count"] for c in theme["classes"]}
    assert counts["several"] == 1 and counts["none"] == 76


def test_activity_coverage_in_the_period(seeded):
    unit = _unit(seeded, "Xã Vĩnh Linh")
    point = shapely.Point(107.0, 17.0)
    for day, kind in ((dt.date(2026, 10, 1), "ROAD_REPAIR"), (dt.date(2026, 11, 16), "LANE_TIDY"),
                      (dt.date(2025, 1, 5), "ROAD_REPAIR")):  # fmt: skip
        activity = Activity(activity_date=day, type_code=kind, geom=to_db_geometry(point))
        activity.communes.append(ActivityCommune(unit_id=unit.id))
        seeded.add(activity)
    seeded.flush()
    rows = _rows_by_name(seeded, period_from=dt.date(2026, 9, 1), period_to=TODAY)
    assert rows[unit.name]["activities"] == 2
    assert rows[unit.name]["days_since"] == 10
    assert rows["Xã Cam Lộ"]["activities"] == 0 and rows["Xã Cam Lộ"]["days_since"] is None
    only_roads = _rows_by_name(
        seeded, period_from=dt.date(2026, 9, 1), period_to=TODAY, activity_types=("ROAD_REPAIR",)
    )
    assert only_roads[unit.name]["activities"] == 1
    coverage = map_themes.classify(list(rows.values()), "coverage")
    assert coverage["assign"][unit.id] != "0-0" and coverage["classes"][0]["count"] == 77
    recency = map_themes.classify(list(rows.values()), "recency")
    assert recency["assign"][unit.id] == "le:30"
    assert recency["assign"][_unit(seeded, "Xã Cam Lộ").id] == "never"


def test_numeric_bins_use_a_scheme_for_many_values():
    values = np.arange(0, 40, dtype=float)
    bins = map_themes.numeric_bins(values)
    assert len(bins) == 5
    assert bins[0][0] == 0 and bins[-1][1] == 39
    assert all(b[0] == a[1] + 1 for a, b in zip(bins, bins[1:], strict=False))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xã Đakrông", "xa dakrong"),
        ("  VĨNH   Linh ", "vinh linh"),
        ("Phường Đông Hà", "phuong dong ha"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("vinh linh", "Xã Vĩnh Linh"), ("dakrong", "Xã Đakrông"), ("dak rong", "Xã Đakrông"),
     ("ĐAKRÔNG", "Xã Đakrông"), ("Vĩnh Linh", "Xã Vĩnh Linh")],
)  # fmt: skip
def test_search_without_diacritics(seeded, query, expected):
    hits = search_communes(seeded, query, TODAY)
    assert hits and hits[0]["name"] == expected


def test_search_finds_a_former_commune_and_nothing_for_blank(seeded):
    hits = search_communes(seeded, "hai tho", TODAY)
    assert hits and hits[0]["matched_former"] == "Xã Hải Thọ"
    assert search_communes(seeded, "   ", TODAY) == []
    assert search_communes(seeded, "zzzz", TODAY) == []


def test_simplified_levels_stay_a_valid_coverage(seeded):
    layers = map_boundaries.boundary_layers(seeded, TODAY)
    vertex_counts = []
    for level in layers.levels:
        frame = gpd.GeoDataFrame.from_features(json.loads(level.text), crs=4326)
        assert len(frame) == 78
        assert frame.geometry.is_valid.all()
        metric = frame.to_crs(32648).geometry
        overlap_m2 = metric.area.sum() - shapely.union_all(metric.values).area
        assert overlap_m2 < 5_000  # the source's own digitisation overlaps are about 1,000 m²
        vertex_counts.append(int(shapely.get_num_coordinates(frame.geometry.values).sum()))
    assert vertex_counts == sorted(vertex_counts) and vertex_counts[0] < vertex_counts[-1] / 4
    assert len(layers.label_points) == 78


def test_layers_are_cached_per_data_version(seeded):
    first = map_boundaries.boundary_layers(seeded, TODAY)
    assert map_boundaries.boundary_layers(seeded, TODAY) is first
    seeded.execute(
        sa.update(AdminUnit).where(AdminUnit.name == "Xã Vĩnh Linh").values(valid_to=TODAY)
    )
    assert map_boundaries.boundary_layers(seeded, TODAY).version != first.version


def test_a_level_by_bounding_box(seeded):
    layers = map_boundaries.boundary_layers(seeded, TODAY)
    vinh_linh = _unit(seeded, "Xã Vĩnh Linh").id
    lat, lon = layers.label_points[vinh_linh]
    near = json.loads(layers.levels[2].within(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01))
    ids = {f["id"] for f in near["features"]}
    assert vinh_linh in ids and 0 < len(ids) < 10
    assert json.loads(layers.levels[1].within(100.0, 10.0, 101.0, 11.0))["features"] == []
    everything = json.loads(layers.levels[0].within(-180, -90, 180, 90))
    assert len(everything["features"]) == 78


def test_level_for_zoom():
    assert map_boundaries.level_for_zoom(7) == 0
    assert map_boundaries.level_for_zoom(10) == 1
    assert map_boundaries.level_for_zoom(15) == 2
