"""Uploaded GPX, KML, GeoJSON and photos, with the bad inputs of issue 4."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from shapely import LineString, Point, Polygon

from geo import tracks
from geo.errors import CrsError, InvalidGeometryError

# two points in Đông Hà and a polygon around them
A, B = (107.0950, 16.8150), (107.1050, 16.8200)


def jpeg_with_gps(lat: float | None = 16.8163, lon: float = 107.1003) -> bytes:
    """A real JPEG; with a GPSInfo IFD unless ``lat`` is None."""
    exif = Image.Exif()
    if lat is not None:
        gps = exif.get_ifd(0x8825)

        def dms(value: float) -> tuple:
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60 * 1000)
            return (IFDRational(d), IFDRational(m), IFDRational(s, 1000))

        gps[1], gps[2] = ("N" if lat >= 0 else "S"), dms(abs(lat))
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), dms(abs(lon))
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def gpx(track=(A, B), waypoints=()) -> bytes:
    points = "".join(f'<trkpt lat="{lat}" lon="{lon}"><ele>5</ele></trkpt>' for lon, lat in track)
    wpts = "".join(f'<wpt lat="{lat}" lon="{lon}"><name>w</name></wpt>' for lon, lat in waypoints)
    seg = f"<trk><name>t</name><trkseg>{points}</trkseg></trk>" if track else ""
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        f'xmlns="http://www.topografix.com/GPX/1/1">{wpts}{seg}</gpx>'
    ).encode()


def kml(placemarks: list[str]) -> bytes:
    body = "".join(f"<Placemark><name>p{i}</name>{p}</Placemark>" for i, p in enumerate(placemarks))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{body}</Document></kml>"
    ).encode()


def kml_line(a=A, b=B) -> str:
    return f"<LineString><coordinates>{a[0]},{a[1]},0 {b[0]},{b[1]},0</coordinates></LineString>"


def test_gpx_track_becomes_a_line():
    result = tracks.read_upload("di-bo.gpx", gpx())
    assert result.geometry.equals(LineString([A, B]))
    assert result.file_kind == "gpx" and result.note is None


def test_gpx_route_and_waypoints():
    route = (
        '<gpx xmlns="http://www.topografix.com/GPX/1/1"><rte>'
        f'<rtept lat="{A[1]}" lon="{A[0]}"/><rtept lat="{B[1]}" lon="{B[0]}"/></rte>'
        f'<wpt lat="{A[1]}" lon="{A[0]}"/></gpx>'
    ).encode()
    result = tracks.read_gpx(route)
    assert result.geometry.geom_type == "LineString"
    assert "bỏ qua 1" in result.note
    only_points = tracks.read_gpx(gpx(track=(), waypoints=(A,)))
    assert only_points.geometry.equals(Point(A))


def test_empty_gpx_refused():
    with pytest.raises(InvalidGeometryError, match="GPX «trong.gpx» trống"):
        tracks.read_upload("trong.gpx", gpx(track=()))


def test_broken_gpx_refused():
    with pytest.raises(InvalidGeometryError, match="hỏng"):
        tracks.read_upload("hong.gpx", b"<gpx><trk>")


def test_kml_point_line_polygon():
    ring = f"{A[0]},{A[1]} {B[0]},{A[1]} {B[0]},{B[1]} {A[0]},{A[1]}"
    polygon = f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
    assert tracks.read_upload("l.kml", kml([kml_line()])).geometry.equals(LineString([A, B]))
    assert tracks.read_upload("p.kml", kml([polygon])).geometry.geom_type == "Polygon"
    point = f"<Point><coordinates>{A[0]},{A[1]}</coordinates></Point>"
    assert tracks.read_upload("pt.kml", kml([point])).geometry.equals(Point(A))
    multi = tracks.read_upload("m.kml", kml([kml_line(), kml_line(B, A)]))
    assert multi.geometry.geom_type == "MultiLineString" and multi.feature_count == 2


def test_kmz():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", kml([kml_line()]))
    assert tracks.read_upload("tuyen.kmz", buffer.getvalue()).geometry.length > 0


def test_kml_with_ten_thousand_placemarks_refused():
    point = f"<Point><coordinates>{A[0]},{A[1]}</coordinates></Point>"
    with pytest.raises(InvalidGeometryError, match="10.000 placemark.*tối đa 1.000"):
        tracks.read_upload("nhieu.kml", kml([point] * 10_000))


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "LineString", "coordinates": [A, B]},
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [A, B]},
        },
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "LineString", "coordinates": [A, B]},
                }
            ],
        },
    ],
)
def test_geojson_shapes(doc):
    result = tracks.read_upload("tuyen.geojson", json.dumps(doc).encode())
    assert result.geometry.equals(LineString([A, B]))


def test_geojson_in_metres_refused():
    doc = {"type": "Point", "coordinates": [587211.9, 1860512.3]}
    with pytest.raises(CrsError, match="không phải là độ.*VN-2000"):
        tracks.read_upload("m.geojson", json.dumps(doc).encode())


def test_geojson_other_crs_refused():
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3405"}},
        "features": [],
    }
    with pytest.raises(CrsError, match="EPSG::3405"):
        tracks.read_upload("vn.geojson", json.dumps(doc).encode())


def test_geojson_not_json_refused():
    with pytest.raises(InvalidGeometryError, match="không phải JSON hợp lệ"):
        tracks.read_upload("x.geojson", b"{nope")


def test_photo_with_gps_places_a_point():
    result = tracks.read_upload("anh.jpg", jpeg_with_gps(16.8163, 107.1003))
    assert result.file_kind == "photo"
    assert result.geometry.x == pytest.approx(107.1003, abs=1e-5)
    assert result.geometry.y == pytest.approx(16.8163, abs=1e-5)


def test_photo_without_gps_refused():
    with pytest.raises(InvalidGeometryError, match="không có toạ độ GPS"):
        tracks.read_upload("anh.jpg", jpeg_with_gps(None))


def test_not_an_image_refused():
    with pytest.raises(InvalidGeometryError, match="không phải ảnh"):
        tracks.read_upload("anh.jpg", b"hello")


def test_size_checked_before_parsing():
    big = b"\0" * (tracks.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(tracks.UploadTooLargeError, match="quá lớn.*tối đa 20 MB"):
        tracks.read_upload("lon.gpx", big)
    with pytest.raises(tracks.UploadTooLargeError, match="200,0 MB"):
        tracks.check_size(200 * 1024 * 1024, "video.kml")


def test_unknown_suffix_refused():
    with pytest.raises(InvalidGeometryError, match="Không nhận dạng được tệp «a.docx»"):
        tracks.read_upload("a.docx", b"x")


def test_self_crossing_polygon_refused_or_repaired():
    bowtie = Polygon([A, (B[0], B[1]), (B[0], A[1]), (A[0], B[1]), A])
    with pytest.raises(InvalidGeometryError, match="tự cắt nhau tại toạ độ"):
        tracks.check_valid(bowtie, label="Vùng đã vẽ")
    repaired = tracks.check_valid(bowtie, repair=True)
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert len(repaired.geoms) == 2


def test_xml_entities_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>'
    with pytest.raises(InvalidGeometryError, match="khai báo ENTITY"):
        tracks.read_upload("bom.gpx", bomb)
