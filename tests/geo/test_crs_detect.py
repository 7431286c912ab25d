"""CRS detection and reprojection of boundary files, VN-2000 first."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from geo.boundary_io import read_boundaries
from geo.crs import VN2000_QUANG_TRI, vn2000_tm3
from geo.crs_detect import decide_crs, parse_crs, reproject, to_storage, vn2000_repaired
from geo.errors import CrsError
from geo.models import METRIC_SRID
from tests.boundary_samples import (
    VN2000_TM3_QUANG_TRI_ESRI,
    real_communes,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
)

LABELS = ["đối tượng thứ 1 (mã 18859)", "đối tượng thứ 2 (mã 18871)", "đối tượng thứ 3 (mã 18880)"]


@pytest.fixture
def communes():
    return real_communes(n=3)


def _max_offset_m(result: gpd.GeoDataFrame, original: gpd.GeoDataFrame) -> float:
    got = result.to_crs(METRIC_SRID).geometry
    want = original.to_crs(METRIC_SRID).geometry
    return float(max(got.hausdorff_distance(want, align=False)))


def _read_and_store(path, crs=None):
    frame = read_boundaries(path).frame
    return to_storage(frame, LABELS, crs)


@pytest.mark.parametrize("text", ["EPSG:3405", "3405", 3405, "epsg:3405"])
def test_parse_epsg(text):
    assert parse_crs(text).to_epsg() == 3405


def test_parse_vn2000_names():
    assert parse_crs("vn2000-quang-tri").equals(VN2000_QUANG_TRI)
    assert parse_crs("VN2000_Quang_Tri").equals(VN2000_QUANG_TRI)
    assert parse_crs("vn2000-utm-49n").to_epsg() == 3406
    assert parse_crs("vn2000-quang-binh").equals(vn2000_tm3(106.0))
    assert parse_crs("vn2000-tm3-105.5").equals(vn2000_tm3(105.5))


def test_parse_nonsense_says_what_is_accepted():
    with pytest.raises(CrsError) as refused:
        parse_crs("VN2000 tỉnh Quảng Trị")
    assert "Không hiểu hệ toạ độ" in refused.value.user_msg
    assert "EPSG:3405" in refused.value.user_msg and "vn2000-quang-tri" in refused.value.user_msg


def test_declared_wgs84_is_kept(communes, tmp_path):
    result, decision = _read_and_store(write_geojson(communes, tmp_path / "xa.geojson"))
    assert (decision.how, decision.label) == ("declared", "EPSG:4326")
    assert _max_offset_m(result, communes) < 0.01


@pytest.mark.parametrize("epsg", [3405, 3406])
@pytest.mark.parametrize("write", [write_gpkg, write_shapefile_zip], ids=["gpkg", "shp-zip"])
def test_vn2000_utm_is_reprojected_within_a_metre(communes, tmp_path, epsg, write):
    projected = communes.to_crs(epsg)
    assert np.abs(projected.total_bounds).max() > 100_000  # really metres
    suffix = ".gpkg" if write is write_gpkg else ".zip"
    result, decision = _read_and_store(write(projected, tmp_path / f"xa{suffix}"))
    assert (decision.how, decision.label) == ("declared", f"EPSG:{epsg}")
    assert result.crs.to_epsg() == 4326
    assert _max_offset_m(result, communes) < 1.0


def test_geojson_with_a_legacy_crs_member(communes, tmp_path):
    path = write_geojson(communes.to_crs(3405), tmp_path / "xa.geojson")
    assert "EPSG::3405" in path.read_text(encoding="utf-8")[:400]
    result, decision = _read_and_store(path)
    assert decision.label == "EPSG:3405"
    assert _max_offset_m(result, communes) < 1.0


def test_vn2000_tm3_quang_tri_from_an_arcgis_prj(communes, tmp_path):
    projected = communes.to_crs(VN2000_QUANG_TRI)
    path = write_shapefile_zip(projected, tmp_path / "xa.zip", prj=VN2000_TM3_QUANG_TRI_ESRI)
    result, decision = _read_and_store(path)
    assert decision.how == "declared" and decision.note is None
    assert _max_offset_m(result, communes) < 1.0


def test_vn2000_tm3_prj_that_lost_its_datum_shift_is_repaired(communes, tmp_path):
    """GDAL writes our +towgs84 CRS to .prj without the shift: read naively it is 200 m off."""
    projected = communes.to_crs(VN2000_QUANG_TRI)
    frame = read_boundaries(write_shapefile_zip(projected, tmp_path / "xa.zip")).frame
    naive = frame.to_crs(4326)
    assert _max_offset_m(naive, communes) > 100
    result, decision = to_storage(frame, LABELS)
    assert "coi là VN-2000 TM-3 kinh tuyến trục 106.25°" in decision.note
    assert _max_offset_m(result, communes) < 1.0


def test_vn2000_tm3_without_prj_given_explicitly(communes, tmp_path):
    projected = communes.to_crs(VN2000_QUANG_TRI)
    path = write_shapefile_zip(projected, tmp_path / "xa.zip", prj=False)
    with pytest.raises(CrsError) as refused:
        _read_and_store(path)
    assert "có vẻ là mét (VN-2000?)" in refused.value.user_msg
    assert "--crs vn2000-quang-tri" in refused.value.user_msg
    result, decision = _read_and_store(path, crs="vn2000-quang-tri")
    assert decision.how == "explicit"
    assert _max_offset_m(result, communes) < 1.0


def test_undeclared_degrees_inside_the_province_are_wgs84(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", prj=False)
    result, decision = _read_and_store(path)
    assert (decision.how, decision.label) == ("assumed", "EPSG:4326")
    assert "coi là WGS 84" in decision.note
    assert _max_offset_m(result, communes) < 0.01


def test_metres_declared_as_degrees_are_refused(communes, tmp_path):
    """A GeoJSON of VN-2000 metres without a crs member: GeoJSON means WGS 84 degrees."""
    metres = communes.to_crs(3405).set_crs(4326, allow_override=True)
    path = write_geojson(metres, tmp_path / "xa.geojson")
    with pytest.raises(CrsError) as refused:
        _read_and_store(path)
    message = refused.value.user_msg
    assert message.startswith(
        "Toạ độ có vẻ là mét (VN-2000?) nhưng được khai báo là độ (EPSG:4326)"
    )
    assert "--crs EPSG:3405" in message
    result, decision = _read_and_store(path, crs="EPSG:3405")
    assert "thay cho hệ khai báo trong tệp" in decision.note
    assert _max_offset_m(result, communes) < 1.0


def test_degrees_declared_as_metres_are_refused(communes, tmp_path):
    path = write_gpkg(communes.set_crs(3405, allow_override=True), tmp_path / "xa.gpkg")
    with pytest.raises(CrsError, match="có vẻ là độ .* nhưng được khai báo là mét"):
        _read_and_store(path)


def test_wrong_zone_puts_features_outside_the_province_and_names_them(communes, tmp_path):
    wrong = communes.to_crs(3405).set_crs(3406, allow_override=True)
    with pytest.raises(CrsError) as refused:
        _read_and_store(write_gpkg(wrong, tmp_path / "xa.gpkg"))
    assert "3 đối tượng nằm ngoài tỉnh Quảng Trị" in refused.value.user_msg
    assert refused.value.details[0].startswith("đối tượng thứ 1 (mã 18859): nằm ngoài phạm vi tỉnh")


def test_undeclared_degrees_elsewhere_are_refused():
    bounds = np.array([105.0, 20.9, 105.9, 21.1])  # Hà Nội
    with pytest.raises(CrsError, match="không nằm trong tỉnh Quảng Trị"):
        decide_crs(None, bounds, None)


def test_no_geometry_at_all():
    frame = gpd.GeoDataFrame({"code": ["1"]}, geometry=[None], crs=4326)
    with pytest.raises(CrsError, match="không có đối tượng nào có hình học"):
        reproject(frame)


def test_wgs84_and_real_epsg_crs_are_not_touched():
    for crs in (parse_crs(4326), parse_crs(3405), parse_crs(32648)):
        assert vn2000_repaired(crs) == (crs, None)


def test_gpkg_keeps_custom_vn2000(communes, tmp_path):
    path = tmp_path / "xa.gpkg"
    pyogrio.write_dataframe(communes.to_crs(VN2000_QUANG_TRI), path)
    result, decision = _read_and_store(path)
    assert decision.how == "declared"
    assert _max_offset_m(result, communes) < 1.0
