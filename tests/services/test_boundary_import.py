"""Importing commune boundaries into the database, on SpatiaLite and PostGIS, all or nothing."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from shapely import box

from geo.boundary_fields import kind_from_name, pick_column
from geo.crs import VN2000_QUANG_TRI
from geo.errors import CrsError, ImportValidationError
from geo.measure import area_km2
from geo.models import METRIC_SRID, AdminUnit, DatasetLoad, UnitGeometry
from services.boundary_import import import_boundaries
from tests.boundary_samples import (
    neighbours,
    real_communes,
    write_geojson,
    write_gpkg,
    write_kml,
    write_shapefile_zip,
)

DAY = dt.date(2025, 7, 1)
TODAY = dt.date(2026, 11, 26)
NAMES = ["Phường Đồng Thuận", "Phường Đồng Sơn", "Phường Đồng Hới"]


def run(session, path, **kwargs):
    kwargs.setdefault("source", "Bản đồ thử nghiệm")
    kwargs.setdefault("today", TODAY)
    return import_boundaries(session, path, kwargs.pop("valid_from", DAY), **kwargs)


def current_geometry(session, code: str, day: dt.date = DAY) -> UnitGeometry:
    return session.scalars(
        sa.select(UnitGeometry)
        .join(AdminUnit)
        .where(
            AdminUnit.code == code,
            AdminUnit.level == "commune",
            AdminUnit.valid_from <= day,
            sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day),
            UnitGeometry.is_current,
        )
    ).one()


def row_counts(session) -> tuple[int, int, int, int]:
    return (
        session.scalar(sa.select(sa.func.count()).select_from(AdminUnit)),
        session.scalar(sa.select(sa.func.count()).select_from(UnitGeometry)),
        session.scalar(sa.select(sa.func.count()).where(UnitGeometry.is_current)),
        session.scalar(sa.select(sa.func.count()).select_from(DatasetLoad)),
    )


def offset_m(a, b) -> float:
    metric = gpd.GeoSeries([a, b], crs=4326).to_crs(METRIC_SRID)
    return float(metric.iloc[0].hausdorff_distance(metric.iloc[1]))


def test_geojson_adds_a_new_current_version(seeded, tmp_path):
    communes = real_communes(n=3)
    moved = communes.copy()  # a 50 m shift north makes the new version recognisable
    moved["geometry"] = moved.to_crs(METRIC_SRID).translate(0, 50).to_crs(4326)
    old = current_geometry(seeded, "18859")
    before = row_counts(seeded)

    report = run(seeded, write_geojson(moved, tmp_path / "xa.geojson"), licence="CC BY 4.0")

    assert (report.updated, report.created, report.features) == (3, 0, 3)
    assert (report.code_column, report.name_column) == ("code", "fullName")
    seeded.expire_all()
    assert seeded.get(UnitGeometry, old.id).is_current is False
    new = current_geometry(seeded, "18859")
    assert new.id != old.id and new.source == "Bản đồ thử nghiệm" and new.licence == "CC BY 4.0"
    assert new.source_date == DAY and new.status == "imported"
    assert offset_m(to_shape(new.geom), moved.geometry.iloc[0]) < 0.01
    assert new.area_km2 == pytest.approx(area_km2(moved.geometry)[0])
    assert new.official_area_km2 == pytest.approx(26.49)
    units, geometries, current, loads = row_counts(seeded)
    assert (units, geometries, current, loads) == (
        before[0],
        before[1] + 3,
        before[2],
        before[3] + 1,
    )
    load = seeded.get(DatasetLoad, report.dataset_load_id)
    assert load.rows == 3 and load.dataset == "boundaries" and len(load.sha256) == 64
    assert load.report["crs"]["crs"] == "EPSG:4326" and load.report["updated"] == 3


@pytest.mark.parametrize(
    ("fmt", "write"),
    [
        ("GeoPackage", lambda f, p: write_gpkg(f, p / "xa.gpkg")),
        ("Shapefile (zip)", lambda f, p: write_shapefile_zip(f, p / "xa.zip")),
        ("KML", lambda f, p: write_kml(f, p / "xa.kml")),
    ],
)
def test_each_format(seeded, tmp_path, fmt, write):
    communes = real_communes(n=3)
    report = run(seeded, write(communes, tmp_path))
    assert report.format == fmt and report.updated == 3
    stored = to_shape(current_geometry(seeded, "18871").geom)
    assert offset_m(stored, communes.geometry.iloc[1]) < 0.01
    assert stored.geom_type == "MultiPolygon"
    if fmt == "KML":  # LIBKML hands the communes over as Polygons
        assert report.checks.promoted == 3


def test_shapefile_without_cpg_creates_units_with_whole_vietnamese_names(seeded, tmp_path):
    communes = real_communes(n=3)
    communes["code"] = ["99001", "99002", "99003"]
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", encoding="cp1258", cpg=False)
    report = run(seeded, path, encoding="cp1258", create_missing=True)
    assert (report.created, report.updated) == (3, 0)
    assert report.encoding == "cp1258 (khai báo)"
    units = seeded.scalars(
        sa.select(AdminUnit)
        .where(AdminUnit.code.in_(["99001", "99002", "99003"]))
        .order_by(AdminUnit.code)
    ).all()
    assert [u.name for u in units] == NAMES
    assert {u.kind for u in units} == {"phuong"} and {u.valid_from for u in units} == {DAY}
    province = seeded.get(AdminUnit, units[0].parent_id)
    assert (province.level, province.code) == ("province", "44")
    assert all(len(u.geometries) == 1 and u.geometries[0].is_current for u in units)


@pytest.mark.parametrize("epsg", [3405, 3406])
def test_vn2000_utm_is_stored_in_wgs84_within_a_metre(seeded, tmp_path, epsg):
    communes = real_communes(n=3)
    report = run(seeded, write_gpkg(communes.to_crs(epsg), tmp_path / "xa.gpkg"))
    assert report.crs == {"crs": f"EPSG:{epsg}", "how": "declared", "note": None}
    stored = to_shape(current_geometry(seeded, "18880").geom)
    assert offset_m(stored, communes.geometry.iloc[2]) < 1.0


def test_vn2000_quang_tri_zone_given_on_the_command(seeded, tmp_path):
    communes = real_communes(n=3)
    path = write_shapefile_zip(communes.to_crs(VN2000_QUANG_TRI), tmp_path / "xa.zip", prj=False)
    report = run(seeded, path, crs="vn2000-quang-tri")
    assert report.crs["how"] == "explicit"
    stored = to_shape(current_geometry(seeded, "18859").geom)
    assert offset_m(stored, communes.geometry.iloc[0]) < 1.0


def test_metres_declared_as_degrees_are_refused(seeded, tmp_path):
    metres = real_communes(n=3).to_crs(3405).set_crs(4326, allow_override=True)
    before = row_counts(seeded)
    with pytest.raises(CrsError) as refused:
        run(seeded, write_geojson(metres, tmp_path / "xa.geojson"))
    assert "có vẻ là mét (VN-2000?) nhưng được khai báo là độ" in refused.value.user_msg
    assert row_counts(seeded) == before


def test_dry_run_checks_and_writes_nothing(seeded, tmp_path):
    before = row_counts(seeded)
    report = run(seeded, write_geojson(real_communes(n=3), tmp_path / "xa.geojson"), dry_run=True)
    assert report.dataset_load_id is None and (report.updated, report.created) == (3, 0)
    assert "Chạy thử: sẽ thêm phiên bản ranh giới mới cho 3 đơn vị có sẵn" in report.lines()[3]
    assert row_counts(seeded) == before


def test_unknown_code_is_refused_naming_the_feature(seeded, tmp_path):
    communes = real_communes(n=3)
    communes.loc[1, "code"] = "99999"
    with pytest.raises(ImportValidationError) as refused:
        run(seeded, write_geojson(communes, tmp_path / "xa.geojson"))
    assert refused.value.details == [
        "đối tượng thứ 2 (mã 99999, Phường Đồng Sơn): mã 99999 không khớp đơn vị cấp xã nào "
        "có hiệu lực ngày 01/07/2025 (dùng --create-missing để tạo đơn vị mới)"
    ]
    assert "chưa ghi gì vào cơ sở dữ liệu" in refused.value.user_msg


def test_codes_match_the_units_valid_on_the_date(seeded, tmp_path):
    """Code 19333 is Phường Đông Hà since 2025 and Phường 1 (Đông Hà) before: the date decides."""
    path = write_geojson(real_communes("19333"), tmp_path / "xa.geojson")
    report = run(seeded, path, valid_from=dt.date(2020, 1, 1))
    assert report.updated == 1
    assert any("tên trong tệp khác tên đã có 'Phường 1'" in note for note in report.notes)
    old_unit = seeded.scalars(
        sa.select(AdminUnit).where(AdminUnit.code == "19333", AdminUnit.valid_to == DAY)
    ).one()
    assert [g.is_current for g in old_unit.geometries] == [True]


def test_one_bad_feature_leaves_the_database_unchanged(seeded, tmp_path):
    communes = real_communes(n=4)
    x0, y0, x1, y1 = communes.geometry.iloc[3].bounds
    communes.loc[3, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    before = row_counts(seeded)
    with pytest.raises(ImportValidationError) as refused:
        run(seeded, write_geojson(communes, tmp_path / "xa.geojson"))
    [problem] = refused.value.details
    assert problem.startswith(
        "đối tượng thứ 4 (mã 18901, Xã Minh Hoá): hình học sai (ranh giới tự cắt"
    )
    assert row_counts(seeded) == before


def test_every_problem_is_listed_at_once(seeded, tmp_path):
    communes = real_communes(n=4)
    communes.loc[2, "code"] = "18859"
    communes.loc[3, "code"] = "77777"
    communes.loc[1, "fullName"] = None
    with pytest.raises(ImportValidationError) as refused:
        run(seeded, write_geojson(communes, tmp_path / "xa.geojson"))
    details = refused.value.details
    assert "đối tượng thứ 2 (mã 18871): thiếu tên đơn vị" in details
    assert (
        "mã 18859 bị trùng: đối tượng thứ 1 (mã 18859, Phường Đồng Thuận) "
        "và đối tượng thứ 3 (mã 18859, Phường Đồng Hới)"
    ) in details
    assert any(
        d.startswith("đối tượng thứ 4 (mã 77777, Xã Minh Hoá): mã 77777 không khớp")
        for d in details
    )
    assert "4 lỗi" in refused.value.user_msg or f"{len(details)} lỗi" in refused.value.user_msg


def test_self_intersection_is_repaired_and_kept_in_the_load_report(seeded, tmp_path):
    communes = real_communes(n=3)
    ring = list(communes.geometry.iloc[2].geoms[0].exterior.coords)
    x, y = ring[10]
    d = 0.0003  # a ~30 m figure-of-eight loop at one vertex
    ring = ring[:11] + [(x + d, y + d), (x + d, y), (x, y + d)] + ring[11:]
    communes.loc[2, "geometry"] = shapely.Polygon(ring)
    report = run(seeded, write_geojson(communes, tmp_path / "xa.geojson"))
    [repair] = report.checks.repairs
    assert repair.code == "18880" and repair.reason.startswith("ranh giới tự cắt")
    stored = seeded.get(DatasetLoad, report.dataset_load_id).report
    assert stored["checks"]["repairs"][0]["code"] == "18880"
    stored_shape = to_shape(current_geometry(seeded, "18880").geom)
    assert stored_shape.geom_type == "MultiPolygon" and stored_shape.is_valid


def test_overlap_and_gap_are_reported_with_size_and_place(seeded, tmp_path):
    communes = neighbours()  # Đông Hà, Nam Đông Hà, Cam Lộ share borders
    dong_ha = communes.geometry.iloc[0]
    c = dong_ha.representative_point()
    hole = box(c.x - 0.003, c.y - 0.003, c.x + 0.003, c.y + 0.003)  # ~0.4 km² punched out
    communes.loc[0, "geometry"] = dong_ha.difference(hole)
    grown = communes.to_crs(METRIC_SRID).geometry.iloc[1].buffer(150)  # Nam Đông Hà spills 150 m
    communes.loc[1, "geometry"] = gpd.GeoSeries([grown], crs=METRIC_SRID).to_crs(4326).iloc[0]
    report = run(seeded, write_gpkg(communes, tmp_path / "xa.gpkg"))
    overlaps = {(o.code_a, o.code_b): o for o in report.checks.overlaps}
    assert ("19333", "19351") in overlaps
    assert overlaps[("19333", "19351")].area_m2 > 100_000
    gap = max(report.checks.gaps, key=lambda g: g.area_m2)
    assert gap.area_m2 == pytest.approx(
        area_km2(gpd.GeoSeries([hole], crs=4326))[0] * 1e6, rel=0.02
    )
    assert (gap.lon, gap.lat) == (pytest.approx(c.x, abs=1e-4), pytest.approx(c.y, abs=1e-4))
    stored = seeded.get(DatasetLoad, report.dataset_load_id).report["checks"]
    assert stored["gaps"] and stored["overlaps"]
    assert any(line.startswith("Khe hở ") for line in report.lines())


def test_partial_import_reports_overlaps_with_current_neighbours(seeded, tmp_path):
    dong_ha = real_communes("19333")  # Phường Đông Hà, grown 150 m into its neighbours
    grown = dong_ha.to_crs(METRIC_SRID).buffer(150).to_crs(4326)
    dong_ha["geometry"] = grown
    report = run(seeded, write_geojson(dong_ha, tmp_path / "xa.geojson"))
    overlaps = report.checks.overlaps
    assert overlaps and all(o.with_existing and o.code_a == "19333" for o in overlaps)
    assert "19351" in {o.code_b for o in overlaps}  # Phường Nam Đông Hà
    assert "19333" not in {o.code_b for o in overlaps}  # its own old boundary is being replaced
    assert all(o.area_m2 >= 100 for o in overlaps)
    assert any("(ranh giới đang dùng)" in line for line in report.lines())


def test_column_names_are_found_in_vietnamese_files(seeded, tmp_path):
    communes = real_communes(n=3).rename(columns={"code": "MA_XA", "fullName": "Tên_xã"})
    report = run(seeded, write_gpkg(communes, tmp_path / "xa.gpkg"))
    assert (report.code_column, report.name_column) == ("MA_XA", "Tên_xã")
    with pytest.raises(ImportValidationError, match="Tệp không có cột 'ma'"):
        run(seeded, tmp_path / "xa.gpkg", code_column="ma")


def test_integer_codes_match_text_codes(seeded, tmp_path):
    communes = real_communes(n=3)
    communes["code"] = communes["code"].astype(int)
    path = write_gpkg(communes, tmp_path / "xa.gpkg")
    assert pyogrio.read_info(path)["dtypes"][0].startswith("int")
    assert run(seeded, path).updated == 3


def test_missing_code_column_says_which_columns_exist():
    with pytest.raises(ImportValidationError) as refused:
        pick_column(["id", "ten"], None, ("code", "maxa"), "mã đơn vị")
    assert (
        "Các cột có: id, ten" in refused.value.user_msg
        and "--code-column" in refused.value.user_msg
    )


def test_future_date_bad_status_and_missing_source_are_refused(seeded, tmp_path):
    path = write_geojson(real_communes(n=1), tmp_path / "xa.geojson")
    with pytest.raises(ImportValidationError) as refused:
        run(seeded, path, valid_from=dt.date(2027, 1, 1), status="final", source=" ")
    message = refused.value.user_msg
    assert "ngày hiệu lực 01/01/2027 ở tương lai" in message
    assert "trạng thái 'final' không hợp lệ" in message
    assert "thiếu nguồn dữ liệu" in message


def test_kind_from_name():
    assert [
        kind_from_name(n) for n in ("Phường Đông Hà", "Xã Cam Lộ", "Đặc khu Cồn Cỏ", "Làng")
    ] == [
        "phuong",
        "xa",
        "dac_khu",
        "xa",
    ]
