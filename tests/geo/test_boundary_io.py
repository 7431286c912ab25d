"""Reading boundary files in every format a GIS user hands over, and refusing unsafe archives."""

from __future__ import annotations

import io
import zipfile

import pyogrio
import pytest
import shapely

from geo import boundary_io
from geo.boundary_io import read_boundaries
from geo.errors import ImportValidationError
from tests.boundary_samples import (
    real_communes,
    write_geojson,
    write_gpkg,
    write_kml,
    write_shapefile_zip,
)

NAMES = ["Phường Đồng Thuận", "Phường Đồng Sơn", "Phường Đồng Hới"]


@pytest.fixture
def communes():
    frame = real_communes(n=3)
    assert frame["fullName"].tolist() == NAMES
    return frame


def _same_shapes(read, original, tolerance_deg=1e-9):
    for got, want in zip(read.geometry, original.geometry, strict=True):
        assert shapely.hausdorff_distance(got, want) <= tolerance_deg


def test_geojson(communes, tmp_path):
    result = read_boundaries(write_geojson(communes, tmp_path / "xa.geojson"))
    assert result.format == "GeoJSON"
    assert result.frame["fullName"].tolist() == NAMES
    assert result.frame["code"].tolist() == communes["code"].tolist()
    assert result.frame.crs.to_epsg() == 4326
    _same_shapes(result.frame, communes)


def test_geopackage(communes, tmp_path):
    result = read_boundaries(write_gpkg(communes, tmp_path / "xa.gpkg"))
    assert result.format == "GeoPackage"
    assert result.frame["fullName"].tolist() == NAMES
    _same_shapes(result.frame, communes)


def test_geopackage_with_two_layers_needs_a_choice(communes, tmp_path):
    path = write_gpkg(communes, tmp_path / "xa.gpkg", layer="xa_2025")
    pyogrio.write_dataframe(communes.head(1), path, layer="cu", append=False)
    with pytest.raises(ImportValidationError) as refused:
        read_boundaries(path)
    assert "nhiều lớp (xa_2025, cu)" in refused.value.user_msg
    assert "--layer" in refused.value.user_msg
    assert len(read_boundaries(path, layer="xa_2025").frame) == 3
    with pytest.raises(ImportValidationError, match="không có lớp 'xa'"):
        read_boundaries(path, layer="xa")


def test_zipped_shapefile_with_utf8_cpg(communes, tmp_path):
    result = read_boundaries(write_shapefile_zip(communes, tmp_path / "xa.zip"))
    assert result.format == "Shapefile (zip)"
    assert result.encoding == "utf-8 (.cpg)"
    assert result.frame["fullName"].tolist() == NAMES
    _same_shapes(result.frame, communes)


def test_zipped_shapefile_with_cp1258_cpg_keeps_whole_names(communes, tmp_path):
    """GDAL's own CP1258 decoding drops each value's last letter; ours must not."""
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", encoding="cp1258")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xa.cpg").decode().strip().upper() == "CP1258"
    result = read_boundaries(path)
    assert result.encoding == "cp1258 (.cpg)"
    assert result.frame["fullName"].tolist() == NAMES
    assert "fullName" in result.frame.columns


def test_shapefile_without_cpg_uses_declared_encoding(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", encoding="cp1258", cpg=False)
    result = read_boundaries(path, encoding="cp1258")
    assert result.encoding == "cp1258 (khai báo)"
    assert result.frame["fullName"].tolist() == NAMES


def test_shapefile_without_cpg_and_not_utf8_asks_for_the_encoding(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", encoding="cp1258", cpg=False)
    with pytest.raises(ImportValidationError) as refused:
        read_boundaries(path)
    assert "không đọc được bằng bảng mã utf-8" in refused.value.user_msg
    assert "--encoding cp1258" in refused.value.user_msg


def test_shapefile_without_cpg_in_utf8_is_read(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", cpg=False)
    assert read_boundaries(path).frame["fullName"].tolist() == NAMES
    assert read_boundaries(path, encoding="UTF-8").frame["fullName"].tolist() == NAMES


def test_declared_encoding_wins_over_a_wrong_cpg(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", encoding="cp1258")
    lying = tmp_path / "lying.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(lying, "w") as dst:
        for name in src.namelist():
            data = b"UTF-8" if name.endswith(".cpg") else src.read(name)
            dst.writestr(name, data)
    with pytest.raises(ImportValidationError, match="bảng mã utf-8 \\(.cpg\\)"):
        read_boundaries(lying)
    result = read_boundaries(lying, encoding="cp1258")
    assert result.encoding == "cp1258 (khai báo, thay cho 'UTF-8' trong .cpg)"
    assert result.frame["fullName"].tolist() == NAMES


def test_unknown_encoding_is_refused(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip", cpg=False)
    with pytest.raises(ImportValidationError, match="Bảng mã 'TCVN3' không được hỗ trợ"):
        read_boundaries(path, encoding="TCVN3")


def test_shapefile_without_prj_has_no_crs(communes, tmp_path):
    result = read_boundaries(write_shapefile_zip(communes, tmp_path / "xa.zip", prj=False))
    assert result.frame.crs is None
    assert any("không có tệp .prj" in note for note in result.notes)


def test_kml(communes, tmp_path):
    result = read_boundaries(write_kml(communes, tmp_path / "xa.kml"))
    assert result.format == "KML"
    assert result.frame["fullName"].tolist() == NAMES
    assert result.frame["code"].tolist() == communes["code"].tolist()
    assert not shapely.has_z(result.frame.geometry.values).any()
    _same_shapes(result.frame, communes)


def test_zipped_geopackage(communes, tmp_path):
    gpkg = write_gpkg(communes, tmp_path / "xa.gpkg")
    archive_path = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(gpkg, "ranh_gioi/xa.gpkg")
    result = read_boundaries(archive_path)
    assert result.format == "GeoPackage (zip)"
    assert result.frame["fullName"].tolist() == NAMES


def test_kmz(communes, tmp_path):
    kml = write_kml(communes, tmp_path / "doc.kml")
    kmz = tmp_path / "xa.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(kml, "doc.kml")
    result = read_boundaries(kmz)
    assert result.format == "KMZ"
    assert result.frame["fullName"].tolist() == NAMES


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("../../evil.shp", "đường dẫn thoát ra ngoài thư mục (../)"),
        ("data/../../evil.shp", "đường dẫn thoát ra ngoài thư mục (../)"),
        ("..\\..\\evil.shp", "đường dẫn thoát ra ngoài thư mục (../)"),
        ("/tmp/evil.shp", "đường dẫn tuyệt đối"),
        ("C:/evil.shp", "đường dẫn tuyệt đối"),
    ],
)
def test_archive_with_path_traversal_is_refused(tmp_path, member, reason):
    path = tmp_path / "upload" / "xa.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xa.dbf", b"")
        archive.writestr(member, b"not a shapefile")
    with pytest.raises(ImportValidationError) as refused:
        read_boundaries(path)
    assert "không an toàn" in refused.value.user_msg
    assert refused.value.details == [f"mục '{member}': {reason}"]
    assert not (tmp_path / "evil.shp").exists()


def test_zip_bomb_is_refused(tmp_path):
    path = tmp_path / "bom.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xa.dbf", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ImportValidationError) as refused:
        read_boundaries(path)
    assert "nghi là bom nén" in refused.value.user_msg
    assert "'xa.dbf'" in refused.value.user_msg


def test_archive_too_big_once_unpacked_is_refused(communes, tmp_path, monkeypatch):
    path = write_shapefile_zip(communes, tmp_path / "xa.zip")
    monkeypatch.setattr(boundary_io, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(ImportValidationError, match="vượt giới hạn"):
        read_boundaries(path)


def test_member_unpacking_beyond_its_declared_size_is_cut_off():
    """Defence in depth against forged sizes: never write more than the header declares."""
    out = io.BytesIO()
    with pytest.raises(ImportValidationError, match="nhiều hơn kích thước khai báo"):
        boundary_io._copy_at_most(io.BytesIO(b"x" * 5000), out, 100, "xa.dbf")
    assert len(out.getvalue()) == 0


def test_archive_without_boundaries(tmp_path):
    path = tmp_path / "xa.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "ranh giới")
    with pytest.raises(ImportValidationError, match="không chứa dữ liệu ranh giới"):
        read_boundaries(path)


def test_shapefile_missing_its_dbf(communes, tmp_path):
    path = write_shapefile_zip(communes, tmp_path / "full.zip")
    broken = tmp_path / "xa.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            if not name.endswith(".dbf"):
                dst.writestr(name, src.read(name))
    with pytest.raises(ImportValidationError, match=r"thiếu tệp đi kèm \.dbf"):
        read_boundaries(broken)


def test_unknown_format_and_broken_file(tmp_path):
    csv = tmp_path / "xa.csv"
    csv.write_text("code,name\n1,a\n", encoding="utf-8")
    with pytest.raises(ImportValidationError, match="Không đọc được định dạng '.csv'"):
        read_boundaries(csv)
    broken = tmp_path / "xa.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(ImportValidationError, match="tệp hỏng hoặc không đúng định dạng"):
        read_boundaries(broken)
    with pytest.raises(ImportValidationError, match="Không tìm thấy tệp"):
        read_boundaries(tmp_path / "missing.gpkg")
