"""Checks on an uploaded file before anything parses it: size, real type, archive safety.

Call ``check_upload(filename, data, allowed={"xlsx"})`` first; for archives
(``zip``, ``xlsx``, ``kmz``) it also runs ``check_archive``. The app-wide body limit is
``MAX_CONTENT_LENGTH`` (setting ``NTM_MAX_UPLOAD_MB``); a blueprint may set a lower one.

The type is decided by the bytes (magic numbers and the archive's table of contents), never by
the file name or the browser's Content-Type alone.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from http import HTTPStatus
from pathlib import PurePosixPath

from geo.errors import NtmError

KINDS = ("xlsx", "zip", "kmz", "gpx", "kml", "geojson", "jpeg", "png", "csv")
ARCHIVE_KINDS = ("xlsx", "zip", "kmz")
MAX_ARCHIVE_MEMBERS = 2000
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_XML_DECL = re.compile(
    rb"^\s*(<\?xml[^>]*\?>)?\s*(<!--.*?-->\s*)*(<!DOCTYPE[^\[>]*(\[.*?\])?\s*>\s*)?",
    re.DOTALL | re.IGNORECASE,
)


class UploadTooLargeError(NtmError):
    http_status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UploadTypeError(NtmError):
    http_status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class UnsafeArchiveError(NtmError):
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


def _zip_names(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _xml_root(data: bytes) -> str | None:
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    prolog = _XML_DECL.match(head)
    rest = head[prolog.end() if prolog else 0 :]
    match = re.match(rb"<(?:[\w.-]+:)?([\w.-]+)", rest)
    return match.group(1).decode("ascii", "replace").lower() if match else None


def sniff_kind(data: bytes) -> str | None:
    """The file's real kind from its bytes (one of ``KINDS``), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        names = _zip_names(data)
        if names is None:
            return None
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.lower().endswith(".kml") for n in names):
            return "kmz"
        return "zip"
    root = _xml_root(data)
    if root in ("gpx", "kml"):
        return root
    text = data[:2048].lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and b'"type"' in data[:65536]:
        return "geojson"
    if b"\x00" not in data[:8192] and _is_text(data[:8192]):
        return "csv"
    return None


def _is_text(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(sample) - 4  # a character cut at the sample's end
    return True


def check_upload(
    filename: str, data: bytes, allowed: set[str] | tuple[str, ...], max_bytes: int | None = None
) -> str:
    """The file's kind if it is one of ``allowed`` and safe to parse; else a typed error."""
    shown = display_name(filename)
    if max_bytes is not None and len(data) > max_bytes:
        raise UploadTooLargeError(
            f"Tệp “{shown}” quá lớn ({len(data) / 1048576:.1f} MB); "
            f"giới hạn là {max_bytes / 1048576:.0f} MB."
        )
    if not data:
        raise UploadTypeError(f"Tệp “{shown}” rỗng.")
    kind = sniff_kind(data)
    if kind not in allowed:
        expected = ", ".join(sorted(allowed))
        found = kind or "không nhận ra"
        raise UploadTypeError(
            f"Tệp “{shown}” không phải loại được nhận ({expected}); nội dung thực là: {found}."
        )
    if kind in ARCHIVE_KINDS:
        check_archive(data, shown)
    if kind == "xlsx":
        check_office_xml(data, shown)
    if kind in ("gpx", "kml"):
        check_xml(data, shown)
    return str(kind)


def display_name(filename: str | None, max_chars: int = 120) -> str:
    """A file name safe to show in a message: its last part, no control characters, bounded."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", "", name)
    return name[:max_chars] or "(không tên)"


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "đường dẫn ra ngoài thư mục giải nén"
    if "\x00" in name:
        return "tên chứa ký tự rỗng"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "liên kết tượng trưng (symlink)"
    return None


def check_archive(
    data: bytes,
    shown: str = "tệp nén",
    max_members: int = MAX_ARCHIVE_MEMBERS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_ratio: int = MAX_COMPRESSION_RATIO,
) -> list[str]:
    """Member names of a zip that has no path traversal, no symlink and is no size bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsafeArchiveError(f"Tệp nén “{shown}” bị hỏng, không mở được.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_members:
            raise UnsafeArchiveError(
                f"Tệp nén “{shown}” có {len(infos)} tệp bên trong; tối đa {max_members}."
            )
        total = 0
        for info in infos:
            problem = _unsafe_member(info)
            if problem:
                raise UnsafeArchiveError(
                    f"Tệp nén “{shown}” bị từ chối: “{display_name(info.filename)}” có {problem}."
                )
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio and info.file_size > 1024 * 1024:
                raise UnsafeArchiveError(
                    f"Tệp nén “{shown}” bị từ chối: “{display_name(info.filename)}” nén bất "
                    f"thường (tỉ lệ {ratio:.0f}:1), có thể là bom giải nén."
                )
        if total > max_unpacked_bytes:
            raise UnsafeArchiveError(
                f"Tệp nén “{shown}” giải nén ra {total / 1048576:.0f} MB, vượt giới hạn "
                f"{max_unpacked_bytes / 1048576:.0f} MB."
            )
        return [info.filename for info in infos]


def check_office_xml(data: bytes, shown: str) -> None:
    """Refuse a workbook whose XML parts declare a DOCTYPE/ENTITY (Excel never writes one)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(info) as member:
                head = member.read(65536)
            if re.search(rb"<!(DOCTYPE|ENTITY)", head, re.IGNORECASE):
                raise UnsafeArchiveError(
                    f"Tệp “{shown}” có khai báo DOCTYPE/ENTITY trong “{display_name(info.filename)}”"
                    ": Excel không tạo ra tệp như vậy. Hãy mở bằng Excel và lưu lại rồi gửi."
                )


def check_xml(data: bytes, shown: str = "tệp XML") -> None:
    """Refuse XML with a DOCTYPE/ENTITY (entity expansion, external entities)."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
        raise UnsafeArchiveError(
            f"Tệp “{shown}” có khai báo DOCTYPE/ENTITY, không được phép trong GPX/KML."
        )
