"""Upload checks on real files: kinds by magic bytes, zip traversal and bombs, XML entities."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from PIL import Image

from webmap import uploads

GPX = b'<?xml version="1.0"?>\n<gpx version="1.1" creator="t"><trk><trkseg/></trk></gpx>'
KML = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'


def _xlsx(tmp_path) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Xã", "Ghi chú"])
    path = tmp_path / "a.xlsx"
    book.save(path)
    book.close()
    return path.read_bytes()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(out, "JPEG")
    return out.getvalue()


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_kinds_by_bytes(tmp_path):
    assert uploads.sniff_kind(_xlsx(tmp_path)) == "xlsx"
    assert uploads.sniff_kind(_jpeg()) == "jpeg"
    assert uploads.sniff_kind(GPX) == "gpx"
    assert uploads.sniff_kind(KML) == "kml"
    assert uploads.sniff_kind(b"\xef\xbb\xbf" + KML) == "kml"
    assert uploads.sniff_kind(_zip({"a.shp": b"x", "a.dbf": b"y"})) == "zip"
    assert uploads.sniff_kind(_zip({"doc.kml": KML})) == "kmz"
    assert uploads.sniff_kind(b'{"type": "FeatureCollection", "features": []}') == "geojson"
    assert uploads.sniff_kind("xã,ghi chú\n1,2\n".encode()) == "csv"
    assert uploads.sniff_kind(b"PK\x03\x04 broken") is None
    assert uploads.sniff_kind(b"\x00\x01\x02binary") is None


def test_renamed_file_is_refused_naming_the_file(tmp_path):
    with pytest.raises(uploads.UploadTypeError, match="bang-tinh.xlsx.*jpeg"):
        uploads.check_upload("C:\\tmp\\bang-tinh.xlsx", _jpeg(), {"xlsx"})
    assert uploads.check_upload("anh.jpg", _jpeg(), {"jpeg", "png"}) == "jpeg"
    assert uploads.check_upload("a.xlsx", _xlsx(tmp_path), {"xlsx"}) == "xlsx"


def test_size_and_empty():
    with pytest.raises(uploads.UploadTooLargeError, match="quá lớn"):
        uploads.check_upload("big.gpx", GPX + b" " * 2048, {"gpx"}, max_bytes=1024)
    with pytest.raises(uploads.UploadTypeError, match="rỗng"):
        uploads.check_upload("empty.gpx", b"", {"gpx"})


@pytest.mark.parametrize(
    "name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:/Windows/x.dll", "..\\x.txt"]
)
def test_path_traversal_refused(name):
    with pytest.raises(uploads.UnsafeArchiveError, match="ra ngoài"):
        uploads.check_upload("shape.zip", _zip({"ok.shp": b"x", name: b"x"}), {"zip"})


def test_symlink_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(uploads.UnsafeArchiveError, match="symlink"):
        uploads.check_archive(out.getvalue())


def test_compression_bomb_refused():
    bomb = _zip({"zeros.csv": b"0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(uploads.UnsafeArchiveError, match="bom giải nén"):
        uploads.check_upload("bomb.zip", bomb, {"zip"})


def test_total_unpacked_size_and_member_count_limits():
    stored = _zip({f"f{i}.txt": b"x" * 1000 for i in range(5)}, zipfile.ZIP_STORED)
    with pytest.raises(uploads.UnsafeArchiveError, match="vượt giới hạn"):
        uploads.check_archive(stored, max_unpacked_bytes=4000)
    with pytest.raises(uploads.UnsafeArchiveError, match="tối đa 3"):
        uploads.check_archive(stored, max_members=3)
    assert len(uploads.check_archive(stored)) == 5


def test_xml_entities_refused():
    laughs = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>'
    with pytest.raises(uploads.UnsafeArchiveError, match="DOCTYPE"):
        uploads.check_upload("lol.gpx", laughs, {"gpx"})


def test_display_name_strips_paths_and_controls():
    assert uploads.display_name("../../x/\u202eevil\x00.xlsx") == "evil.xlsx"
    assert uploads.display_name("") == "(không tên)"
    assert len(uploads.display_name("a" * 500)) == 120


def test_app_wide_body_limit(seeded_engine):
    from tests.web.auth_fixtures import app_config
    from webmap.app import create_app

    app = create_app(app_config(seeded_engine, "off", NTM_MAX_UPLOAD_MB="1"))
    try:
        assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
        response = app.test_client().post("/login", data={"username": "x" * (2 * 1024 * 1024)})
        assert response.status_code == 413
    finally:
        app.extensions["ntm_engine"].dispose()
