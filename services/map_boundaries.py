"""Commune boundaries for the web map: simplified per zoom band, shared edges kept.

The generalised layers are computed once per process and data version (a new
boundary load or a different day gives a new key) and kept in memory as ready
GeoJSON text, so a request costs a dictionary lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, UnitGeometry
from geo.simplify import simplify_coverage
from services.communes import communes_on

#: (tolerance in metres for ``coverage_simplify``, lowest zoom the level is meant for,
#: size in degrees of the tiles the browser asks this level by; None: the whole level at once)
ZOOM_LEVELS = ((600.0, 0, None), (150.0, 10, 0.5), (30.0, 12, 0.25))
#: 5 decimals of a degree is about 1 m: finer than any simplified vertex
COORD_DECIMALS = 5
_CACHE_SIZE = 8


@dataclass(frozen=True)
class Level:
    """One generalised level: each feature's GeoJSON text and bounding box, and the whole text."""

    features: tuple[str, ...]
    boxes: np.ndarray  # (n, 4): west, south, east, north
    text: str

    def within(self, west: float, south: float, east: float, north: float) -> str:
        """A FeatureCollection of the features whose box meets the given box."""
        b = self.boxes
        hit = (b[:, 0] <= east) & (b[:, 2] >= west) & (b[:, 1] <= north) & (b[:, 3] >= south)
        chosen = [f for f, keep in zip(self.features, hit, strict=True) if keep]
        return _collection(chosen)


@dataclass(frozen=True)
class BoundaryLayers:
    """Ready-to-send GeoJSON texts of one data version."""

    version: str
    levels: tuple[Level, ...]
    #: the province outline (communes dissolved) of each level, so it meets their edges
    outlines: tuple[str, ...]
    label_points: dict[int, tuple[float, float]]
    bounds: tuple[float, float, float, float]


_cache: OrderedDict[tuple, BoundaryLayers] = OrderedDict()
_lock = threading.Lock()


def data_version(session: Session, day: dt.date) -> str:
    """A short fingerprint of the commune geometries valid on ``day``."""
    row = session.execute(
        sa.select(
            sa.func.count(UnitGeometry.id),
            sa.func.max(UnitGeometry.id),
            sa.func.max(UnitGeometry.loaded_at),
            sa.func.max(AdminUnit.id),
        )
        .join(AdminUnit, AdminUnit.id == UnitGeometry.unit_id)
        .where(
            AdminUnit.level == "commune",
            UnitGeometry.is_current,
            sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day),
            sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day),
        )
    ).one()
    return hashlib.sha1(repr(tuple(row)).encode()).hexdigest()[:16]


def boundary_layers(session: Session, day: dt.date) -> BoundaryLayers:
    """The generalised layers for ``day``, from the process cache when the data has not changed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    key = (engine.url.render_as_string(hide_password=True), day, data_version(session, day))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    layers = build_layers(session, day, key[2])
    with _lock:
        _cache[key] = layers
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return layers


def round_coordinates(geoms: np.ndarray, decimals: int = COORD_DECIMALS) -> np.ndarray:
    """Geometries with their coordinates rounded (shared vertices stay shared)."""
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def simplified_levels(communes) -> list[np.ndarray]:
    """One rounded, coverage-simplified geometry array per entry of ``ZOOM_LEVELS``."""
    if len(communes) == 0:
        return [np.array([], dtype=object) for _ in ZOOM_LEVELS]
    return [
        round_coordinates(simplify_coverage(communes.geometry, tolerance).values)
        for tolerance, _, _ in ZOOM_LEVELS
    ]


def _collection(features) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _features(ids, geoms) -> list[str]:
    return [
        f'{{"type":"Feature","id":{int(i)},"geometry":{shapely.to_geojson(g)},"properties":{{}}}}'
        for i, g in zip(ids, geoms, strict=True)
    ]


def feature_collection(ids, geoms) -> str:
    """GeoJSON text of features that carry only an id and a geometry."""
    keep = [(i, g) for i, g in zip(ids, geoms, strict=True) if g is not None and not g.is_empty]
    return _collection(_features([i for i, _ in keep], [g for _, g in keep]))


def make_level(ids, geoms) -> Level:
    """A level from ids and geometries (empty geometries left out)."""
    keep = [(i, g) for i, g in zip(ids, geoms, strict=True) if g is not None and not g.is_empty]
    features = tuple(_features([i for i, _ in keep], [g for _, g in keep]))
    boxes = shapely.bounds([g for _, g in keep]) if keep else np.empty((0, 4))
    return Level(features, np.asarray(boxes).reshape(-1, 4), _collection(features))


def build_layers(session: Session, day: dt.date, version: str) -> BoundaryLayers:
    """Simplify, round and serialise the communes valid on ``day``."""
    communes = communes_on(session, day)
    levels = simplified_levels(communes)
    ids = communes["id"].tolist()
    texts = tuple(make_level(ids, geoms) for geoms in levels)
    if len(communes):
        outlines = tuple(
            feature_collection([0], round_coordinates(np.array([shapely.union_all(geoms)])))
            for geoms in levels
        )
        points = shapely.point_on_surface(communes.geometry.values)
        labels = {
            int(i): (round(p.y, COORD_DECIMALS), round(p.x, COORD_DECIMALS))
            for i, p in zip(ids, points, strict=True)
        }
        west, south, east, north = (float(b) for b in communes.total_bounds)
        bounds = (west, south, east, north)
    else:
        outlines, labels = tuple(feature_collection([], []) for _ in levels), {}
        bounds = (106.0, 16.0, 108.0, 18.0)
    return BoundaryLayers(version, texts, outlines, labels, bounds)


def level_for_zoom(zoom: int) -> int:
    """The index in ``ZOOM_LEVELS`` meant for a map zoom."""
    return max(i for i, (_, min_zoom, _) in enumerate(ZOOM_LEVELS) if zoom >= min_zoom)


def zoom_bands() -> list[dict]:
    """The zoom bands, for the browser (``tile_deg``: ask this level tile by tile)."""
    return [
        {"level": i, "min_zoom": z, "tolerance_m": t, "tile_deg": tile}
        for i, (t, z, tile) in enumerate(ZOOM_LEVELS)
    ]
