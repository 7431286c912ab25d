"""Checks before a boundary import: refusals, repairs, overlaps and gaps with size and place."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely import MultiPolygon, Point, Polygon, box

from geo.boundary_checks import (
    SLIVER_M2,
    check_attributes,
    check_boundaries,
    feature_labels,
    find_overlaps_with,
    format_area,
)
from geo.models import METRIC_SRID
from tests.boundary_samples import real_communes

#: a point near Đông Hà in UTM 48N metres; test cells are laid out from here
X0, Y0 = 700_000.0, 1_860_000.0
KM = 1000.0
TO_DEGREES = Transformer.from_crs(METRIC_SRID, 4326, always_xy=True)


def cell(col: float, row: float, size: float = KM) -> Polygon:
    """A square in metres, ``size`` wide, at grid position (col, row) from (X0, Y0)."""
    return box(X0 + col * KM, Y0 + row * KM, X0 + col * KM + size, Y0 + row * KM + size)


def communes(*shapes, codes=None, names=None) -> gpd.GeoDataFrame:
    """A frame of test communes in EPSG:4326 from shapes drawn in metres."""
    n = len(shapes)
    frame = gpd.GeoDataFrame(
        {
            "code": codes or [f"9{i:04d}" for i in range(n)],
            "name": names or [f"Xã Thử {i}" for i in range(n)],
        },
        geometry=list(shapes),
        crs=METRIC_SRID,
    )
    return frame.to_crs(4326)


def check(frame, **kwargs):
    return check_boundaries(frame, feature_labels(frame), **kwargs)


def lon_lat(x: float, y: float) -> tuple[float, float]:
    return TO_DEGREES.transform(x, y)


def test_real_communes_pass_with_their_digitisation_noise_ignored():
    frame = real_communes(n=78).rename(columns={"fullName": "name"})
    result, report = check(frame)
    assert report.problems == [] and report.repairs == []
    assert report.overlaps == [] and report.gaps == []
    assert report.slivers_ignored > 0  # the real layer has sub-100 m² slivers
    assert (result.geom_type == "MultiPolygon").all()


def test_polygon_is_promoted_to_multipolygon():
    result, report = check(communes(cell(0, 0), MultiPolygon([cell(1, 0)])))
    assert report.promoted == 1
    assert result.geom_type.tolist() == ["MultiPolygon", "MultiPolygon"]
    assert any("1 Polygon đã chuyển thành MultiPolygon" in line for line in report.lines())


def test_small_self_intersection_is_repaired_and_reported():
    x, y = X0 + 2 * KM, Y0  # a 10 m figure-of-eight loop at the bottom-right corner
    ring = [
        (X0, Y0),
        (x, y),
        (x + 10, y + 10),
        (x + 10, y),
        (x, y + 10),
        (x, Y0 + KM),
        (X0, Y0 + KM),
    ]
    bad = Polygon(ring)
    assert not bad.is_valid
    result, report = check(communes(bad, cell(5, 5)))
    assert report.problems == []
    [repair] = report.repairs
    assert repair.feature == "đối tượng thứ 1 (mã 90000, Xã Thử 0)"
    assert repair.reason.startswith("ranh giới tự cắt tại")
    assert abs(repair.area_change_pct) < 0.01
    assert result.geometry.iloc[0].is_valid and result.geom_type.iloc[0] == "MultiPolygon"
    assert (
        "Sửa hình học đối tượng thứ 1 (mã 90000, Xã Thử 0): ranh giới tự cắt" in report.lines()[0]
    )


def test_bow_tie_is_refused_because_repair_changes_the_area():
    x1, y1 = X0 + KM, Y0 + KM
    bow_tie = Polygon([(X0, Y0), (x1, y1), (x1, Y0), (X0, y1)])
    _, report = check(communes(bow_tie, cell(5, 5)))
    [problem] = report.problems
    assert problem.startswith(
        "đối tượng thứ 1 (mã 90000, Xã Thử 0): hình học sai (ranh giới tự cắt"
    )
    assert "sửa tự động làm diện tích đổi" in problem and "hãy sửa trong phần mềm GIS" in problem
    assert report.repairs == []


def test_collapsed_polygon_is_refused():
    frame = communes(cell(0, 0), cell(5, 5))
    frame.loc[0, "geometry"] = Polygon(
        [(106.9, 16.8), (106.91, 16.8), (106.92, 16.8), (106.9, 16.8)]
    )
    _, report = check(frame)
    [problem] = report.problems
    assert problem.startswith("đối tượng thứ 1 (mã 90000, Xã Thử 0): hình học sai (")
    assert problem.endswith("sửa xong không còn vùng nào")


def test_point_and_missing_geometry_are_refused():
    frame = communes(Point(X0, Y0), cell(5, 5), cell(7, 7))
    frame.loc[2, "geometry"] = None
    _, report = check(frame)
    assert report.problems == [
        "đối tượng thứ 3 (mã 90002, Xã Thử 2): không có hình học",
        "đối tượng thứ 1 (mã 90000, Xã Thử 0): là Point, không phải vùng (Polygon)",
    ]


def test_duplicate_code_names_both_features():
    frame = communes(cell(0, 0), cell(1, 0), cell(2, 0), codes=["19333", "19351", "19333"])
    _, report = check(frame)
    assert report.problems == [
        "mã 19333 bị trùng: đối tượng thứ 1 (mã 19333, Xã Thử 0) "
        "và đối tượng thứ 3 (mã 19333, Xã Thử 2)"
    ]


def test_missing_code_and_name_are_refused():
    frame = communes(cell(0, 0), cell(1, 0), codes=[None, "19351"], names=["Xã A", "  "])
    _, report = check(frame)
    assert report.problems == [
        "đối tượng thứ 1 (không có mã, Xã A): thiếu mã đơn vị",
        "đối tượng thứ 2 (mã 19351): thiếu tên đơn vị",
    ]


def test_check_attributes_accepts_numbers_as_codes():
    labels = ["a", "b"]
    assert check_attributes(gpd.pd.Series([19333, 19351]), gpd.pd.Series(["x", "y"]), labels) == []


def test_overlap_is_reported_with_size_place_and_codes():
    # the second commune reaches 200 m into the first: a 200 m × 1000 m overlap
    frame = communes(cell(0, 0), cell(0.8, 0), cell(5, 5), codes=["19333", "19351", "19597"])
    _, report = check(frame)
    assert report.problems == []
    [overlap] = report.overlaps
    assert (overlap.code_a, overlap.code_b) == ("19333", "19351")
    assert overlap.area_m2 == pytest.approx(200_000, rel=0.01)
    lon, lat = lon_lat(X0 + 900, Y0 + 500)
    assert (overlap.lon, overlap.lat) == (
        pytest.approx(lon, abs=1e-4),
        pytest.approx(lat, abs=1e-4),
    )
    assert report.lines()[0] == (
        f"Chồng lấn giữa mã 19333 và mã 19351: {format_area(overlap.area_m2)} "
        f"tại {overlap.lon:.5f}, {overlap.lat:.5f}"
    )
    assert (
        format_area(overlap.area_m2).endswith(" km²") and format_area(overlap.area_m2)[:4] == "0,20"
    )


def test_overlap_with_a_current_boundary_outside_the_file():
    new = [cell(0, 0), cell(1, 0)]
    existing = [cell(1.9, 0), cell(5, 5)]  # the first reaches 100 m into the second new cell
    overlaps, slivers = find_overlaps_with(
        np.array(new, dtype=object), ["1", "2"], np.array(existing, dtype=object), ["9", "8"]
    )
    [overlap] = overlaps
    assert (overlap.code_a, overlap.code_b, overlap.with_existing) == ("2", "9", True)
    assert overlap.area_m2 == pytest.approx(100_000, rel=0.01) and slivers == 0


def test_gap_is_reported_with_size_and_place():
    # a ring of eight cells around an empty middle cell: a 1 km² hole nobody holds
    ring = [cell(c, r) for c in range(3) for r in range(3) if (c, r) != (1, 1)]
    _, report = check(communes(*ring))
    assert report.overlaps == []
    [gap] = report.gaps
    assert gap.area_m2 == pytest.approx(1_000_000, rel=0.01)
    lon, lat = lon_lat(X0 + 1.5 * KM, Y0 + 1.5 * KM)
    assert (gap.lon, gap.lat) == (pytest.approx(lon, abs=1e-4), pytest.approx(lat, abs=1e-4))
    assert f"Khe hở 1,000 km² tại {gap.lon:.5f}, {gap.lat:.5f}" in report.lines()


def test_slivers_under_the_threshold_are_counted_not_reported():
    # 0.05 m overlap along 1 km = 50 m², under the 100 m² threshold
    frame = communes(cell(0, 0), box(X0 + KM - 0.05, Y0, X0 + 2 * KM, Y0 + KM))
    _, report = check(frame)
    assert report.overlaps == [] and report.slivers_ignored == 1
    assert f"nhỏ hơn {int(SLIVER_M2)} m²" in report.lines()[-1]
    _, strict = check(frame, sliver_m2=10)
    assert len(strict.overlaps) == 1


def test_touching_neighbours_are_neither_overlap_nor_gap():
    _, report = check(communes(cell(0, 0), cell(1, 0), cell(0, 1)))
    assert (report.overlaps, report.gaps, report.slivers_ignored) == ([], [], 0)


def test_report_is_json_ready():
    import json

    _, report = check(communes(cell(0, 0), cell(0.8, 0)))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["overlaps"][0]["code_a"] == "90000"
