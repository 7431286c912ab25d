"""Uploaded files → one geometry in EPSG:4326 (pure: bytes in, shapely out).

Read: GPX (tracks, routes, waypoints), KML/KMZ (points, lines, polygons), GeoJSON
(Feature, FeatureCollection or a bare geometry) and the GPS position in a photo's
EXIF. Sizes are checked before parsing; a file with too many features is refused
rather than read. A file holding several features becomes one multi-geometry of its
highest dimension (a GPX track with waypoints → the track), and the result says so.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from http import HTTPStatus
from xml.etree import ElementTree

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo.coords import vn_number
from geo.errors import CrsError, InvalidGeometryError, NtmError

#: the largest upload accepted (the web layer sets Flask's MAX_CONTENT_LENGTH to match)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: the most features (placemarks, GeoJSON features, GPX points) one upload may hold
MAX_FEATURES = 1000
#: the most track/route points one GPX may hold (a day's walk logged every second is ~30,000)
MAX_TRACK_POINTS = 200_000
SUFFIXES = {
    ".gpx": "gpx",
    ".kml": "kml",
    ".kmz": "kmz",
    ".geojson": "geojson",
    ".json": "geojson",
    ".jpg": "photo",
    ".jpeg": "photo",
    ".png": "photo",
    ".tif": "photo",
    ".tiff": "photo",
    ".heic": "photo",
}


class UploadTooLargeError(NtmError):
    http_status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


@dataclass(frozen=True)
class UploadedGeometry:
    """The geometry read from a file, what the file was, and what was left out."""

    geometry: BaseGeometry
    file_kind: str
    feature_count: int
    note: str | None = None


def check_size(size_bytes: int, filename: str = "tệp") -> None:
    """Refuse a file above ``MAX_UPLOAD_BYTES`` before reading it."""
    if size_bytes > MAX_UPLOAD_BYTES:
        raise UploadTooLargeError(
            f"Tệp «{filename}» quá lớn ({vn_number(size_bytes / 1048576, 1)} MB): "
            f"tối đa {MAX_UPLOAD_BYTES // 1048576} MB. Hãy cắt bớt hoặc chia nhỏ tệp."
        )


def _check_count(count: int, what: str, filename: str) -> None:
    if count > MAX_FEATURES:
        raise InvalidGeometryError(
            f"Tệp «{filename}» có {vn_number(count)} {what}: tối đa {vn_number(MAX_FEATURES)} cho một hoạt động. "
            "Một hoạt động là một điểm, một tuyến hoặc một vùng; hãy tách tệp hoặc nhập bằng Excel."
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_root(data: bytes, filename: str, kind: str) -> ElementTree.Element:
    if b"<!ENTITY" in data.upper():
        raise InvalidGeometryError(
            f"Tệp {kind} «{filename}» khai báo ENTITY: không được chấp nhận."
        )
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise InvalidGeometryError(f"Tệp {kind} «{filename}» hỏng, không đọc được: {exc}.") from exc


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _gpx_point(element: ElementTree.Element, filename: str) -> tuple[float, float]:
    try:
        return float(element.attrib["lon"]), float(element.attrib["lat"])
    except (KeyError, ValueError) as exc:
        raise InvalidGeometryError(
            f"Tệp GPX «{filename}»: một điểm thiếu hoặc sai thuộc tính lat/lon."
        ) from exc


def read_gpx(data: bytes, filename: str = "tệp.gpx") -> UploadedGeometry:
    """Tracks and routes become lines; waypoints become points (used only without lines)."""
    root = _xml_root(data, filename, "GPX")
    if _local(root.tag) != "gpx":
        raise InvalidGeometryError(
            f"Tệp «{filename}» không phải GPX (thẻ gốc là <{_local(root.tag)}>)."
        )
    point_count = len(_children(root, "trkpt")) + len(_children(root, "rtept"))
    _check_count(len(_children(root, "wpt")), "điểm đánh dấu (waypoint)", filename)
    if point_count > MAX_TRACK_POINTS:
        raise InvalidGeometryError(
            f"Tệp GPX «{filename}» có {vn_number(point_count)} điểm tuyến: tối đa {vn_number(MAX_TRACK_POINTS)}."
        )
    lines = []
    for segment in _children(root, "trkseg") + _children(root, "rte"):
        points = [_gpx_point(p, filename) for p in segment if _local(p.tag) in ("trkpt", "rtept")]
        if len(points) >= 2:
            lines.append(LineString(points))
    waypoints = [Point(_gpx_point(w, filename)) for w in _children(root, "wpt")]
    if not lines and not waypoints:
        raise InvalidGeometryError(
            f"Tệp GPX «{filename}» trống: không có đường đi (track), tuyến (route) hay điểm (waypoint) nào."
        )
    return combine(lines + waypoints, "gpx", filename)


def _kml_coordinates(element: ElementTree.Element, filename: str) -> list[tuple[float, ...]]:
    found = _children(element, "coordinates")
    text = found[0].text if found else ""
    try:
        return [tuple(float(v) for v in t.split(",")[:2]) for t in (text or "").split()]
    except ValueError as exc:
        raise InvalidGeometryError(f"Tệp KML «{filename}»: toạ độ không đọc được.") from exc


def _kml_shapes(placemark: ElementTree.Element, filename: str) -> list[BaseGeometry]:
    shapes: list[BaseGeometry] = []
    for element in placemark.iter():
        name = _local(element.tag)
        if name == "Point":
            shapes += [Point(c) for c in _kml_coordinates(element, filename)[:1]]
        elif name == "LineString":
            shapes.append(LineString(_kml_coordinates(element, filename)))
        elif name == "Polygon":
            rings = [_kml_coordinates(r, filename) for r in _children(element, "LinearRing")]
            outer = _children(element, "outerBoundaryIs")
            shell = _kml_coordinates(outer[0], filename) if outer else rings[0]
            holes = [_kml_coordinates(r, filename) for r in _children(element, "innerBoundaryIs")]
            shapes.append(Polygon(shell, holes))
    return shapes


def read_kml(data: bytes, filename: str = "tệp.kml") -> UploadedGeometry:
    """Every Placemark's Point, LineString and Polygon (also inside MultiGeometry)."""
    root = _xml_root(data, filename, "KML")
    placemarks = _children(root, "Placemark")
    _check_count(len(placemarks), "placemark (đối tượng)", filename)
    shapes = [s for p in placemarks for s in _kml_shapes(p, filename)]
    if not shapes:
        raise InvalidGeometryError(f"Tệp KML «{filename}» không có điểm, đường hay vùng nào.")
    return combine(shapes, "kml", filename)


def read_kmz(data: bytes, filename: str = "tệp.kmz") -> UploadedGeometry:
    """The first ``.kml`` inside a KMZ archive (its unpacked size is checked first)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [i for i in archive.infolist() if i.filename.lower().endswith(".kml")]
            if not entries:
                raise InvalidGeometryError(f"Tệp KMZ «{filename}» không chứa tệp .kml nào.")
            check_size(entries[0].file_size, entries[0].filename)
            return read_kml(archive.read(entries[0]), filename)
    except zipfile.BadZipFile as exc:
        raise InvalidGeometryError(f"Tệp KMZ «{filename}» hỏng (không phải tệp nén zip).") from exc


def read_geojson(data: bytes, filename: str = "tệp.geojson") -> UploadedGeometry:
    """A Feature, a FeatureCollection or a bare geometry, in EPSG:4326."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidGeometryError(
            f"Tệp GeoJSON «{filename}» không phải JSON hợp lệ: {exc}."
        ) from exc
    if not isinstance(doc, dict) or "type" not in doc:
        raise InvalidGeometryError(f"Tệp GeoJSON «{filename}» thiếu trường «type».")
    crs_name = str(((doc.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs_name and not crs_name.endswith(("4326", "CRS84")):
        raise CrsError(
            f"Tệp GeoJSON «{filename}» ở hệ toạ độ {crs_name}: hãy xuất lại theo WGS 84 (EPSG:4326)."
        )
    features = doc.get("features") if doc["type"] == "FeatureCollection" else [doc]
    _check_count(len(features or []), "đối tượng", filename)
    shapes = []
    for number, feature in enumerate(features or [], start=1):
        geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
        if not geometry:
            continue
        try:
            shapes.append(shape(geometry))
        except (
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
            shapely.errors.GEOSException,
        ) as exc:
            raise InvalidGeometryError(
                f"Tệp GeoJSON «{filename}», đối tượng {number}: hình học không đọc được ({exc})."
            ) from exc
    if not shapes:
        raise InvalidGeometryError(f"Tệp GeoJSON «{filename}» không có hình học nào.")
    return combine(shapes, "geojson", filename)


def _rational(value) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _dms(value) -> float:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals; a lone number is degrees."""
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        raise ValueError("EXIF GPS needs one to three numbers")
    return sum(_rational(v) / 60**i for i, v in enumerate(parts))


def read_photo_gps(data: bytes, filename: str = "ảnh.jpg") -> UploadedGeometry:
    """The point in a photo's EXIF GPSInfo."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > (Image.MAX_IMAGE_PIXELS or 89_478_485):
                raise InvalidGeometryError(
                    f"Ảnh «{filename}» khai báo {width} × {height} điểm ảnh, quá lớn: "
                    "hãy gửi ảnh gốc từ máy chụp hoặc điện thoại."
                )
            gps = image.getexif().get_ifd(0x8825)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise InvalidGeometryError(f"Tệp «{filename}» không phải ảnh đọc được.") from exc
    if not gps or 2 not in gps or 4 not in gps:
        raise InvalidGeometryError(
            f"Ảnh «{filename}» không có toạ độ GPS trong EXIF: hãy bật định vị khi chụp, "
            "hoặc vẽ điểm trên bản đồ."
        )
    try:
        lat = _dms(gps[2])
        lon = _dms(gps[4])
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        raise InvalidGeometryError(
            f"Toạ độ GPS trong EXIF của ảnh «{filename}» không đọc được: hãy vẽ điểm trên bản đồ."
        ) from None
    lat = -lat if str(gps.get(1, "N")).upper().startswith("S") else lat
    lon = -lon if str(gps.get(3, "E")).upper().startswith("W") else lon
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise InvalidGeometryError(
            f"Toạ độ GPS trong EXIF của ảnh «{filename}» nằm ngoài phạm vi (vĩ độ {lat:.4f}, "
            f"kinh độ {lon:.4f}): hãy vẽ điểm trên bản đồ."
        )
    return UploadedGeometry(Point(lon, lat), "photo", 1, None)


def combine(shapes: list[BaseGeometry], kind: str, filename: str) -> UploadedGeometry:
    """One geometry of the highest dimension among ``shapes``; checked in degrees."""
    shapes = [s for s in shapes if not s.is_empty]
    if not shapes:
        raise InvalidGeometryError(f"Tệp «{filename}» không có hình học nào.")
    check_degrees(shapes, filename)
    dimensions = [int(shapely.get_dimensions(s)) for s in shapes]
    top = max(dimensions)
    kept = [s for s, d in zip(shapes, dimensions, strict=True) if d == top]
    left = len(shapes) - len(kept)
    note = f"Đã bỏ qua {left} đối tượng có kiểu khác (điểm/đường/vùng)." if left else None
    parts = [p for s in kept for p in shapely.get_parts(s)]
    multi = {0: shapely.MultiPoint, 1: shapely.MultiLineString, 2: shapely.MultiPolygon}[top]
    geometry = parts[0] if len(parts) == 1 else multi(parts)
    return UploadedGeometry(geometry, kind, len(shapes), note)


def check_degrees(shapes: list[BaseGeometry], filename: str = "dữ liệu") -> None:
    """Refuse coordinates that cannot be degrees (VN-2000 metres, for example)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(shapes)
    if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
        raise CrsError(
            f"Toạ độ trong «{filename}» không phải là độ (giá trị tới {vn_number(max(abs(xmax), abs(ymax)))}): "
            "có thể là mét VN-2000. Hãy xuất lại theo WGS 84 (kinh độ, vĩ độ)."
        )


#: vertices of one drawn or typed geometry (a 200,000-vertex polygon cost 29 s of CPU)
MAX_DRAWN_VERTICES = 20_000
DRAWN_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")


def check_drawn(geometry: BaseGeometry, label: str = "Hình đã vẽ") -> BaseGeometry:
    """A geometry sent by a user, refused when it is of another kind, empty, too large, not in
    degrees, with coordinates that are not finite numbers, or degenerate (a line of one
    point, a polygon without area)."""
    kind = geometry.geom_type
    if kind not in DRAWN_TYPES:
        raise InvalidGeometryError(
            f"{label}: kiểu «{kind}» không dùng được; cần điểm, đường hoặc vùng (Point, "
            "LineString, Polygon hoặc dạng Multi…)."
        )
    if geometry.is_empty:
        raise InvalidGeometryError(f"{label} trống.")
    count = shapely.get_num_coordinates(geometry)
    if count > MAX_DRAWN_VERTICES:
        raise InvalidGeometryError(
            f"{label} có {vn_number(count)} đỉnh, nhiều nhất {vn_number(MAX_DRAWN_VERTICES)}: "
            "hãy đơn giản hoá trước khi gửi."
        )
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise InvalidGeometryError(f"{label} có toạ độ không phải là số (NaN hoặc vô cực).")
    check_degrees([geometry], label)
    parts = shapely.get_parts(geometry)
    if kind.endswith("LineString") and any(p.length == 0 for p in parts):
        raise InvalidGeometryError(f"{label}: đường cần ít nhất hai điểm khác nhau.")
    if kind.endswith("Polygon") and any(p.convex_hull.area == 0 for p in parts):
        raise InvalidGeometryError(
            f"{label}: vùng cần có diện tích (ít nhất ba điểm không thẳng hàng)."
        )
    return geometry


def check_valid(
    geometry: BaseGeometry, repair: bool = False, label: str = "Hình học"
) -> BaseGeometry:
    """Refuse an invalid geometry (self-crossing polygon…), naming the problem; or repair it."""
    if geometry.is_empty:
        raise InvalidGeometryError(f"{label} trống.")
    if geometry.is_valid:
        return geometry
    reason = shapely.is_valid_reason(geometry)
    if not repair:
        where = reason.split("[", 1)[-1].rstrip("]") if "[" in reason else ""
        problem = "tự cắt nhau" if "Self-intersection" in reason or "Ring" in reason else reason
        raise InvalidGeometryError(
            f"{label} không hợp lệ: vùng {problem}"
            + (f" tại toạ độ {where}" if where else "")
            + ". Hãy vẽ lại, hoặc đồng ý để hệ thống tự sửa (tách thành các vùng không tự cắt).",
            details=[reason],
        )
    repaired = shapely.make_valid(geometry)
    polygons = [p for p in shapely.get_parts(repaired) if p.geom_type == "Polygon"]
    if geometry.geom_type.endswith("Polygon") and polygons:
        return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
    return repaired


def read_upload(filename: str, data: bytes) -> UploadedGeometry:
    """Dispatch on the file's suffix after checking its size."""
    check_size(len(data), filename)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = SUFFIXES.get(suffix)
    if kind is None:
        raise InvalidGeometryError(
            f"Không nhận dạng được tệp «{filename}»: chấp nhận GPX, KML, KMZ, GeoJSON hoặc ảnh JPEG có GPS."
        )
    reader = {
        "gpx": read_gpx,
        "kml": read_kml,
        "kmz": read_kmz,
        "geojson": read_geojson,
        "photo": read_photo_gps,
    }[kind]
    return reader(data, filename)
