"""The boundary-source manifest and the loader that finds (or fetches) each file.

A source is looked for, in order: an explicit path, the project cache
(``data/boundaries/cache/``), the data directory (``NTM_DATA_DIR``). Failing
those it is downloaded from its pinned URL (or its parts, merged) and every
checksum is verified before the file enters the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import SourceError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = PROJECT_ROOT / "data" / "boundaries" / "manifest.toml"
CACHE_DIR = PROJECT_ROOT / "data" / "boundaries" / "cache"


@dataclass(frozen=True)
class Part:
    url: str
    sha256: str


@dataclass(frozen=True)
class BoundarySource:
    key: str
    title: str
    era: dt.date
    format: str
    path: str
    sha256: str
    licence: str
    attribution: str
    source_date: dt.date
    status: str
    url: str | None = None
    parts: tuple[Part, ...] = field(default=())

    @property
    def provenance(self) -> str:
        where = self.url or (self.parts[0].url.rsplit("/", 2)[0] if self.parts else self.path)
        return f"{self.title}; {where}"


def load_manifest(path: Path = MANIFEST) -> dict[str, BoundarySource]:
    """Read the manifest into ``{key: BoundarySource}``."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = {}
    for key, entry in raw.items():
        entry = dict(entry)
        entry.pop("url_note", None)
        parts = tuple(Part(**p) for p in entry.pop("parts", ()))
        sources[key] = BoundarySource(key=key, parts=parts, **entry)
    return sources


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, expected: str) -> Path:
    actual = sha256_of(path)
    if actual != expected:
        raise SourceError(
            f"Tệp {path} không khớp mã kiểm tra (sha256 {actual[:12]}…, cần {expected[:12]}…).",
            f"{path}: sha256 {actual} does not match the manifest ({expected})",
        )
    return path


def _download(url: str, expected_sha256: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (pinned https URL)
            body = response.read()
    except OSError as exc:
        raise SourceError(
            f"Không tải được {url}: {exc}. Hãy đặt NTM_DATA_DIR trỏ tới thư mục dữ liệu.",
            f"download of {url} failed: {exc}",
        ) from exc
    actual = hashlib.sha256(body).hexdigest()
    if actual != expected_sha256:
        raise SourceError(
            f"Tệp tải từ {url} không khớp mã kiểm tra.",
            f"{url}: sha256 {actual} != {expected_sha256}",
        )
    return body


def _merge_parts(bodies: list[bytes]) -> bytes:
    """Merge single-feature GeoJSON files into one FeatureCollection (bbox dropped)."""
    features = []
    for body in bodies:
        for feature in json.loads(body)["features"]:
            feature.pop("bbox", None)
            features.append(feature)
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode()


def locate(
    source: BoundarySource,
    explicit: Path | None = None,
    data_dir: Path | None = None,
    cache_dir: Path = CACHE_DIR,
    fetch: Callable[[str, str], bytes] = _download,
) -> Path:
    """Return a verified local path of ``source``, downloading it when nowhere else."""
    if explicit is not None:
        return explicit  # the user's own file: checked by the importer, not by the manifest
    cached = cache_dir / source.path
    if cached.exists():
        return _verified(cached, source.sha256)
    if data_dir is not None and (data_dir / source.path).exists():
        return _verified(data_dir / source.path, source.sha256)
    if source.parts:
        body = _merge_parts([fetch(p.url, p.sha256) for p in source.parts])
    elif source.url:
        body = fetch(source.url, source.sha256)
    else:
        raise SourceError(
            f"Không tìm thấy nguồn {source.key}.", f"no file and no URL for {source.key}"
        )
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(body)
    if not source.parts:
        _verified(cached, source.sha256)
    return cached
