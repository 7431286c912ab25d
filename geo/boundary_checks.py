"""Check a set of commune boundaries before import (pure: no IO, no database).

Refused: missing code or name, duplicate codes, features that are not areas,
invalid geometries whose repair changes the area by more than ``AREA_TOLERANCE``
or leaves no polygon. Repaired (and reported): other invalid geometries, with
``shapely.make_valid``. Reported: overlaps between communes and gaps (holes in the
union), with size (measured in ``METRIC_SRID``) and place (lon/lat).

Overlaps and gaps under ``SLIVER_M2`` are digitisation noise and are only counted:
the real 78 communes have overlaps up to ~10 m² and holes up to ~23 m² (STACK-NOTES §7).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.measure import to_multipolygons
from geo.models import METRIC_SRID, STORAGE_SRID

#: overlaps and gaps smaller than this (m²) are ignored as digitisation slivers
SLIVER_M2 = 100.0
#: a repair may change a feature's area by at most this fraction
AREA_TOLERANCE = 0.01

#: GEOS validity reasons in Vietnamese (the location that follows is kept)
_REASONS_VI = {
    "Ring Self-intersection": "vòng ranh giới tự cắt",
    "Self-intersection": "ranh giới tự cắt",
    "Too few points": "quá ít điểm",
    "Hole lies outside shell": "lỗ thủng nằm ngoài ranh giới",
    "Nested holes": "lỗ thủng lồng nhau",
    "Nested shells": "vùng lồng nhau",
    "Interior is disconnected": "phần trong bị chia cắt",
    "Invalid Coordinate": "toạ độ không hợp lệ",
    "Ring is not closed": "vòng ranh giới không khép kín",
    "Duplicate Rings": "vòng ranh giới trùng nhau",
}
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def format_vn(value: float, decimals: int = 0) -> str:
    """A number the Vietnamese way: ``12.685,5``."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_area(area_m2: float) -> str:
    """``850 m²`` below a hectare-ish size, else ``1,25 km²``."""
    if area_m2 < 10_000:
        return f"{format_vn(area_m2)} m²"
    return f"{format_vn(area_m2 / 1e6, 3)} km²"


def feature_label(position: int, code: object, name: object) -> str:
    """How messages name a feature: ``đối tượng thứ 3 (mã 19330, Xã Cam Lộ)``."""
    parts = [f"mã {code}" if _present(code) else "không có mã"]
    if _present(name):
        parts.append(str(name))
    return f"đối tượng thứ {position + 1} ({', '.join(parts)})"


def feature_labels(frame: pd.DataFrame) -> list[str]:
    """A label per row of a frame with ``code`` and ``name`` columns."""
    pairs = zip(frame["code"], frame["name"], strict=True)
    return [feature_label(i, code, name) for i, (code, name) in enumerate(pairs)]


def _present(value: object) -> bool:
    if value is None or (np.isscalar(value) and pd.isna(value)) or value is pd.NA:
        return False
    return str(value).strip() != ""


@dataclass
class Repair:
    feature: str
    code: str | None
    reason: str
    area_change_pct: float


@dataclass
class Overlap:
    code_a: str
    code_b: str
    area_m2: float
    lon: float
    lat: float
    #: ``code_b`` is a commune already in the database (its current boundary), not in the file
    with_existing: bool = False


@dataclass
class Gap:
    area_m2: float
    lon: float
    lat: float


@dataclass
class CheckReport:
    """What the checks found; ``problems`` are refusals, the rest is information."""

    problems: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    promoted: int = 0
    slivers_ignored: int = 0
    sliver_m2: float = SLIVER_M2

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report in Vietnamese, one line per finding."""
        out = [
            f"Sửa hình học {r.feature}: {r.reason} "
            f"(diện tích đổi {format_vn(r.area_change_pct, 3)}%)"
            for r in self.repairs
        ]
        out += [
            f"Chồng lấn giữa mã {o.code_a} và mã {o.code_b}"
            f"{' (ranh giới đang dùng)' if o.with_existing else ''}: {format_area(o.area_m2)} "
            f"tại {o.lon:.5f}, {o.lat:.5f}"
            for o in self.overlaps
        ]
        out += [f"Khe hở {format_area(g.area_m2)} tại {g.lon:.5f}, {g.lat:.5f}" for g in self.gaps]
        if self.promoted:
            out.append(f"{self.promoted} Polygon đã chuyển thành MultiPolygon.")
        if self.slivers_ignored:
            out.append(
                f"Bỏ qua {self.slivers_ignored} mảnh chồng lấn/khe hở nhỏ hơn "
                f"{format_vn(self.sliver_m2)} m² (sai số số hoá)."
            )
        return out


def check_attributes(codes: pd.Series, names: pd.Series, labels: list[str]) -> list[str]:
    """Missing codes or names, and duplicate codes (naming every feature involved)."""
    problems = [f"{labels[i]}: thiếu mã đơn vị" for i, c in enumerate(codes) if not _present(c)]
    problems += [f"{labels[i]}: thiếu tên đơn vị" for i, n in enumerate(names) if not _present(n)]
    positions: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if _present(code):
            positions.setdefault(str(code).strip(), []).append(i)
    for code, where in positions.items():
        if len(where) > 1:
            problems.append(f"mã {code} bị trùng: " + " và ".join(labels[i] for i in where))
    return problems


def repair_geometries(
    geoms: gpd.GeoSeries, labels: list[str], codes: list, tolerance: float = AREA_TOLERANCE
) -> tuple[gpd.GeoSeries, list[Repair], list[str]]:
    """Make invalid polygons valid; refuse what cannot be repaired faithfully."""
    values = np.array(geoms.values, dtype=object)
    problems, repairs = [], []
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    type_ids = shapely.get_type_id(values)
    for i in np.flatnonzero(missing):
        problems.append(f"{labels[i]}: không có hình học")
    nonfinite = np.array(
        [
            not m and not np.isfinite(shapely.get_coordinates(g)).all()
            for g, m in zip(values, missing, strict=True)
        ],
        dtype=bool,
    )
    for i in np.flatnonzero(nonfinite):
        problems.append(f"{labels[i]}: có toạ độ không phải là số (NaN hoặc vô cực)")
    missing = missing | nonfinite
    for i in np.flatnonzero(~missing & ~np.isin(type_ids, _POLYGONAL)):
        problems.append(f"{labels[i]}: là {values[i].geom_type}, không phải vùng (Polygon)")
    invalid = np.flatnonzero(~missing & np.isin(type_ids, _POLYGONAL) & ~shapely.is_valid(values))
    if len(invalid):
        before = _metric_area(values[invalid], geoms.crs)
        fixed = np.array([_polygonal_part(shapely.make_valid(g)) for g in values[invalid]])
        after = _metric_area(fixed, geoms.crs)
        for k, i in enumerate(invalid):
            reason = validity_reason_vi(values[i])
            change = (after[k] - before[k]) / max(after[k], before[k], 1e-9)
            if fixed[k] is None:
                problems.append(
                    f"{labels[i]}: hình học sai ({reason}), sửa xong không còn vùng nào"
                )
            elif abs(change) > tolerance:
                allowed = format_vn(tolerance * 100, 1)
                problems.append(
                    f"{labels[i]}: hình học sai ({reason}); sửa tự động làm diện tích đổi "
                    f"{format_vn(change * 100, 1)}% (cho phép ±{allowed}%): "
                    "hãy sửa trong phần mềm GIS"
                )
            else:
                values[i] = fixed[k]
                code = str(codes[i]) if _present(codes[i]) else None
                repairs.append(Repair(labels[i], code, reason, round(float(change) * 100, 4)))
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs), repairs, problems


def validity_reason_vi(geom) -> str:
    """Why GEOS finds ``geom`` invalid, in Vietnamese: ``ranh giới tự cắt tại 106.59, 17.49``."""
    reason = shapely.is_valid_reason(geom)
    for english, vietnamese in _REASONS_VI.items():
        if reason.startswith(english):
            where = reason.removeprefix(english).strip("[] ")
            return f"{vietnamese} tại {where.replace(' ', ', ')}" if where else vietnamese
    return reason


def _polygonal_part(geom):
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None


def _metric_area(values: np.ndarray, crs) -> np.ndarray:
    present = np.array([v is not None for v in values])
    areas = np.zeros(len(values))
    if present.any():
        series = gpd.GeoSeries(list(values[present]), crs=crs or STORAGE_SRID)
        areas[present] = series.to_crs(METRIC_SRID).area.to_numpy()
    return areas


def _lon_lat(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    to_degrees = Transformer.from_crs(METRIC_SRID, STORAGE_SRID, always_xy=True)
    return to_degrees.transform(shapely.get_x(points), shapely.get_y(points))


def find_overlaps(
    metric: np.ndarray, codes: list[str], min_area_m2: float = SLIVER_M2
) -> tuple[list[Overlap], int]:
    """Pairs of communes whose interiors overlap, with the overlap's size and centroid."""
    a, b = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = a < b
    return _overlaps(metric[a[keep]], metric[b[keep]], codes, codes, a[keep], b[keep], min_area_m2)


def find_overlaps_with(
    metric: np.ndarray,
    codes: list[str],
    existing: np.ndarray,
    existing_codes: list[str],
    min_area_m2: float = SLIVER_M2,
) -> tuple[list[Overlap], int]:
    """Overlaps between the file's communes and current boundaries of other communes."""
    if not len(metric) or not len(existing):
        return [], 0
    b, a = shapely.STRtree(existing).query(metric, predicate="intersects")
    found = _overlaps(metric[b], existing[a], codes, existing_codes, b, a, min_area_m2)
    for overlap in found[0]:
        overlap.with_existing = True
    return found


def _overlaps(left, right, left_codes, right_codes, a, b, min_area_m2):
    # most neighbours only touch: a relate test is ~3× cheaper than computing every intersection
    meet = shapely.relate_pattern(left, right, "T********")
    a, b = a[meet], b[meet]
    shared = shapely.intersection(left[meet], right[meet])
    area = shapely.area(shared)
    big = area >= min_area_m2
    lon, lat = _lon_lat(shapely.centroid(shared[big]))
    overlaps = [
        Overlap(
            left_codes[i],
            right_codes[j],
            round(float(s), 1),
            round(float(x), 6),
            round(float(y), 6),
        )
        for i, j, s, x, y in zip(a[big], b[big], area[big], lon, lat, strict=True)
    ]
    return overlaps, int(((area > 0) & ~big).sum())


def find_gaps(
    metric: np.ndarray, min_area_m2: float = SLIVER_M2, overlapping: bool = True
) -> tuple[list[Gap], int]:
    """Holes in the union of the communes (land between them that nobody holds).

    Without overlaps the faster coverage union is tried first; it refuses (GEOSException)
    when shared edges are not noded alike, and the general union takes over.
    """
    union = None
    if not overlapping:
        try:
            union = shapely.coverage_union_all(metric)
        except shapely.errors.GEOSException:
            union = None
    if union is None:
        union = shapely.union_all(metric)
    holes = np.array(
        [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
    )
    if not len(holes):
        return [], 0
    area = shapely.area(holes)
    big = area >= min_area_m2
    lon, lat = _lon_lat(shapely.centroid(holes[big]))
    gaps = [
        Gap(round(float(s), 1), round(float(x), 6), round(float(y), 6))
        for s, x, y in zip(area[big], lon, lat, strict=True)
    ]
    return gaps, int((~big).sum())


def check_boundaries(
    frame: gpd.GeoDataFrame,
    labels: list[str],
    *,
    sliver_m2: float = SLIVER_M2,
    area_tolerance: float = AREA_TOLERANCE,
) -> tuple[gpd.GeoDataFrame, CheckReport]:
    """Check ``frame`` (``code``, ``name``, EPSG:4326); return it repaired and promoted."""
    report = CheckReport(sliver_m2=sliver_m2)
    report.problems += check_attributes(frame["code"], frame["name"], labels)
    geoms, report.repairs, problems = repair_geometries(
        frame.geometry, labels, list(frame["code"]), area_tolerance
    )
    report.problems += problems
    usable = shapely.is_valid(geoms.values) & np.isin(shapely.get_type_id(geoms.values), _POLYGONAL)
    report.promoted = int((shapely.get_type_id(geoms.values) == shapely.GeometryType.POLYGON).sum())
    geoms = to_multipolygons(geoms)
    result = frame.set_geometry(geoms)
    metric = geoms[usable].to_crs(METRIC_SRID).values
    if len(metric) > 1:
        codes = [str(c) for c in frame["code"][usable]]
        report.overlaps, overlap_slivers = find_overlaps(metric, codes, sliver_m2)
        overlapping = bool(report.overlaps) or overlap_slivers > 0
        report.gaps, gap_slivers = find_gaps(metric, sliver_m2, overlapping)
        report.slivers_ignored = overlap_slivers + gap_slivers
    return result, report
