"""Read boundary files as GIS users hand them over (pure IO: no database).

GeoJSON, GeoPackage, Shapefile (zipped, or a ``.shp`` with its side files), KML and
KMZ, through pyogrio's bundled GDAL. Archives are checked before anything is
extracted: no path traversal, no absolute paths or links, no size bombs.

Shapefile text is decoded here rather than by GDAL: GDAL reads the bytes as
ISO-8859-1 (a lossless byte mapping) and Python decodes them with the ``.cpg``
code page or the declared encoding. GDAL's own CP1258 recoding drops the last
character of every value and field name (iconv keeps it buffered for a
possible tone mark), which would cut every Vietnamese name short.
"""

from __future__ import annotations

import codecs
import re
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.errors import ImportValidationError

#: largest file accepted as is, and largest total an archive may unpack to
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: a member that unpacks to more than this many times its packed size is a bomb...
MAX_COMPRESSION_RATIO = 200
#: ...once it is bigger than this (small text files compress very well)
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_ARCHIVE_MEMBERS = 10_000

FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".kml": "KML",
}
ARCHIVES = {".zip": "{} (zip)", ".kmz": "KMZ"}
#: ``.cpg`` spellings seen in the wild → Python codec names
CPG_ALIASES = {
    "65001": "utf-8",
    "utf8": "utf-8",
    "1258": "cp1258",
    "ansi1258": "cp1258",
    "windows1258": "cp1258",
    "1252": "cp1252",
    "ansi1252": "cp1252",
    "88591": "latin-1",
    "iso88591": "latin-1",
}
_RAW = "ISO-8859-1"


@dataclass
class BoundaryFile:
    """What was read: the features (CRS as declared, ``None`` if undeclared) and how."""

    frame: gpd.GeoDataFrame
    format: str
    path: Path
    layers: list[str] = field(default_factory=list)
    #: the text encoding used for a shapefile, and where it came from
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def read_boundaries(
    path: Path | str, *, encoding: str | None = None, layer: str | None = None
) -> BoundaryFile:
    """Read a boundary file into a GeoDataFrame, checking archives and sizes first.

    ``encoding`` is used for shapefiles that have no ``.cpg`` (e.g. ``cp1258``, ``utf-8``);
    ``layer`` picks one layer of a GeoPackage (or one shapefile of an archive).
    """
    path = Path(path)
    if not path.is_file():
        raise ImportValidationError(f"Không tìm thấy tệp {path}.")
    _check_size(path)
    suffix = path.suffix.lower()
    if suffix in ARCHIVES:
        with tempfile.TemporaryDirectory(prefix="ntm-import-") as tmp:
            extract_safely(path, Path(tmp))
            inner = _dataset_in(Path(tmp), path.name, layer)
            result = _read_dataset(inner, encoding=encoding, layer=None)
        result.format, result.path = ARCHIVES[suffix].format(result.format), path
        return result
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS) + sorted(ARCHIVES))
        raise ImportValidationError(
            f"Không đọc được định dạng '{path.suffix}' của tệp {path.name}. "
            f"Hãy dùng một trong các định dạng: {known}."
        )
    return _read_dataset(path, encoding=encoding, layer=layer)


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportValidationError(
            f"Tệp {path.name} quá lớn ({size / 1e6:.0f} MB; tối đa {MAX_FILE_BYTES / 1e6:.0f} MB)."
        )


# --- archives ---------------------------------------------------------------------------


def unsafe_member_reason(info: zipfile.ZipInfo) -> str | None:
    """Why an archive member must not be extracted, or ``None`` if it may."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "đường dẫn tuyệt đối"
    if ".." in PurePosixPath(name).parts:
        return "đường dẫn thoát ra ngoài thư mục (../)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "liên kết tượng trưng (symlink)"
    return None


def check_archive(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Refuse traversal, absolute paths, links and size bombs; return the file members."""
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ImportValidationError(
            f"Tệp nén {name} có {len(members)} mục (tối đa {MAX_ARCHIVE_MEMBERS}): từ chối."
        )
    problems = [
        f"mục '{m.filename}': {reason}" for m in members if (reason := unsafe_member_reason(m))
    ]
    if problems:
        raise ImportValidationError(
            f"Tệp nén {name} không an toàn, không giải nén: có mục trỏ ra ngoài thư mục giải nén.",
            details=problems,
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise ImportValidationError(
            f"Tệp nén {name} giải nén ra {total / 1e6:.0f} MB, vượt giới hạn "
            f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB (nghi là bom nén): từ chối."
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ImportValidationError(
                f"Mục '{m.filename}' trong {name} nén {ratio:.0f} lần "
                f"(tối đa {MAX_COMPRESSION_RATIO} lần; nghi là bom nén): từ chối."
            )
    return [m for m in members if not m.is_dir()]


def extract_safely(archive_path: Path, dest: Path) -> list[Path]:
    """Extract a checked archive into ``dest``, never writing more than each member declares."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile as exc:
        raise ImportValidationError(
            f"Tệp {archive_path.name} không phải tệp nén zip hợp lệ."
        ) from exc
    written = []
    with archive:
        for member in check_archive(archive, archive_path.name):
            target = dest / PurePosixPath(member.filename.replace("\\", "/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, target.open("wb") as out:
                _copy_at_most(src, out, member.file_size, member.filename)
            written.append(target)
    return written


def _copy_at_most(src, out, limit: int, name: str) -> None:
    copied = 0
    while chunk := src.read(1024 * 1024):
        copied += len(chunk)
        if copied > limit:
            raise ImportValidationError(
                f"Mục '{name}' giải nén ra nhiều hơn kích thước khai báo ({limit} byte): từ chối."
            )
        out.write(chunk)


def _dataset_in(folder: Path, archive_name: str, layer: str | None) -> Path:
    candidates = sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in FORMATS and p.is_file() and "__MACOSX" not in p.parts
    )
    if layer:
        candidates = [p for p in candidates if p.stem == layer or p.name == layer]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ImportValidationError(
            f"Tệp nén {archive_name} không chứa dữ liệu ranh giới "
            "(.shp kèm .shx/.dbf, .gpkg, .geojson hoặc .kml)."
        )
    names = ", ".join(str(p.relative_to(folder)) for p in candidates)
    raise ImportValidationError(
        f"Tệp nén {archive_name} chứa nhiều lớp dữ liệu ({names}): hãy chọn một bằng --layer."
    )


# --- datasets ---------------------------------------------------------------------------


def _read_dataset(path: Path, *, encoding: str | None, layer: str | None) -> BoundaryFile:
    fmt = FORMATS[path.suffix.lower()]
    if fmt == "Shapefile":
        return _read_shapefile(path, encoding)
    layers = _polygon_layers(path)
    if layer is not None:
        if layer not in layers:
            raise ImportValidationError(
                f"Tệp {path.name} không có lớp '{layer}'. Các lớp có: {', '.join(layers)}."
            )
        layers = [layer]
    elif len(layers) > 1 and fmt == "GeoPackage":
        raise ImportValidationError(
            f"Tệp {path.name} có nhiều lớp ({', '.join(layers)}): hãy chọn một bằng --layer."
        )
    if not layers:
        raise ImportValidationError(f"Tệp {path.name} không có lớp dữ liệu nào có đối tượng.")
    frames = [_read_layer(path, name) for name in layers]
    frame = frames[0] if len(frames) == 1 else _concat(frames)
    return _finish(BoundaryFile(frame, fmt, path, layers=layers))


def _polygon_layers(path: Path) -> list[str]:
    try:
        listed = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise ImportValidationError(
            f"Không mở được tệp {path.name}: tệp hỏng hoặc không đúng định dạng."
        ) from exc
    layers = [str(name) for name, geom_type in listed if geom_type is not None]
    if len(layers) > 1:  # KML folders: keep the layers that hold features
        layers = [n for n in layers if pyogrio.read_info(path, layer=n)["features"] != 0]
    return layers


def _read_layer(path: Path, layer: str | None, **kwargs) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportValidationError(
            f"Không đọc được tệp {path.name}: tệp hỏng hoặc không đúng định dạng ({exc})."
        ) from exc


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    crs = frames[0].crs
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def _read_shapefile(path: Path, encoding: str | None) -> BoundaryFile:
    missing = [ext for ext in (".shx", ".dbf") if not _sidecar(path, ext)]
    if missing:
        raise ImportValidationError(
            f"Shapefile {path.name} thiếu tệp đi kèm {', '.join(missing)}: "
            "hãy nén đủ .shp, .shx, .dbf (và .prj, .cpg nếu có) vào một tệp .zip."
        )
    codec, origin = shapefile_encoding(path, encoding)
    frame = _read_layer(path, None, encoding=_RAW)
    frame = _decode_text(frame, codec, path.name, origin)
    result = BoundaryFile(
        frame, "Shapefile", path, layers=[path.stem], encoding=f"{codec} ({origin})"
    )
    if not _sidecar(path, ".prj"):
        result.notes.append(f"Shapefile {path.name} không có tệp .prj (hệ toạ độ không khai báo).")
    return _finish(result)


def _sidecar(path: Path, ext: str) -> Path | None:
    for candidate in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if candidate.is_file():
            return candidate
    return None


def codec_name(text: str) -> str | None:
    """A Python codec for a ``.cpg`` value or a declared encoding (``None`` if unknown)."""
    key = re.sub(r"[^a-z0-9]", "", text.strip().lower())
    name = CPG_ALIASES.get(key, text.strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def shapefile_encoding(path: Path, declared: str | None) -> tuple[str, str]:
    """The codec for a shapefile's text and where it came from: declared, ``.cpg`` or guessed.

    A declared encoding wins over the ``.cpg`` (users declare one when the ``.cpg`` lies),
    and the report says so.
    """
    cpg = _sidecar(path, ".cpg")
    written = cpg.read_text(encoding="ascii", errors="replace").strip() if cpg else None
    if declared:
        codec = codec_name(declared)
        if codec is None:
            raise ImportValidationError(
                f"Bảng mã '{declared}' không được hỗ trợ. Hãy dùng ví dụ utf-8 hoặc cp1258 "
                "(dữ liệu TCVN3/VNI cần chuyển sang Unicode trước)."
            )
        if written and codec_name(written) != codec:
            return codec, f"khai báo, thay cho '{written}' trong .cpg"
        return codec, "khai báo"
    if written is None:
        return "utf-8", "không có .cpg: thử utf-8"
    codec = codec_name(written)
    if codec is None:
        raise ImportValidationError(
            f"Tệp {path.stem}.cpg ghi bảng mã '{written}' không được hỗ trợ: "
            "hãy khai báo bảng mã (ví dụ --encoding cp1258)."
        )
    return codec, ".cpg"


def _decode_text(frame: gpd.GeoDataFrame, codec: str, name: str, origin: str) -> gpd.GeoDataFrame:
    def decode(value):
        if not isinstance(value, str):
            return value
        try:
            return unicodedata.normalize("NFC", value.encode("latin-1").decode(codec))
        except UnicodeDecodeError as exc:
            raise ImportValidationError(
                f"Dữ liệu chữ của {name} không đọc được bằng bảng mã {codec} ({origin}): "
                "hãy khai báo đúng bảng mã, ví dụ --encoding cp1258 hoặc --encoding utf-8."
            ) from exc

    frame = frame.rename(columns={c: decode(c) for c in frame.columns if c != "geometry"})
    for column in frame.columns:
        if _is_text(frame[column]):
            frame[column] = frame[column].map(decode)
    return frame


def _is_text(column: pd.Series) -> bool:
    return not isinstance(column, gpd.GeoSeries) and (
        column.dtype == object or pd.api.types.is_string_dtype(column)
    )


def _finish(result: BoundaryFile) -> BoundaryFile:
    """Normalise text to NFC, drop Z/M and empty rows; keep the declared CRS as read."""
    frame = result.frame
    frame = frame.rename(columns={c: unicodedata.normalize("NFC", str(c)) for c in frame.columns})
    for column in frame.columns:
        if _is_text(frame[column]):
            frame[column] = frame[column].map(
                lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v
            )
    geoms = frame.geometry.values
    if shapely.has_z(geoms).any():
        frame = frame.set_geometry(shapely.force_2d(geoms), crs=frame.crs)
        result.notes.append("Đã bỏ toạ độ cao (Z) của các đối tượng.")
    result.frame = frame.reset_index(drop=True)
    return result
