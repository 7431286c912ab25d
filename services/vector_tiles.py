"""Mapbox vector tiles of today's communes, generalised per zoom, keyed by the boundary version.

The generalised levels (``map_boundaries.ZOOM_LEVELS``: shared edges kept) are built once per
boundary version and stored in ``boundary_level_feature`` in Web Mercator, behind a
single-flight lock, so no request simplifies a boundary. A tile is then one indexed read:

- PostGIS draws it with ``ST_AsMVT`` / ``ST_AsMVTGeom`` from the stored level;
- SpatiaLite has no MVT encoder: the tile is encoded with ``mapbox_vector_tile`` once and kept in
  ``vector_tile`` for that version (a new boundary version leaves the old tiles unused and
  ``prune`` removes them).

The tiles carry the commune's id, name and kind only: theme values join in the browser by id,
so a theme change never refetches a tile.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass

import geopandas as gpd
import mapbox_vector_tile
import mercantile
import numpy as np
import shapely
import sqlalchemy as sa
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid
from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import AdminUnit, BoundaryLevelBuild, BoundaryLevelFeature, VectorTile
from services import map_boundaries
from services.communes import communes_on

LAYER = "communes"
EXTENT = 4096
#: pixels of the tile's extent drawn beyond its edge, so strokes meet across tiles
BUFFER = 64
MAX_ZOOM = 16
WEB_MERCATOR = 3857
#: PostgreSQL advisory lock key of the build ("ntm" tiles)
_BUILD_LOCK = 0x6E746D01
_local_lock = threading.Lock()


@dataclass(frozen=True)
class Build:
    version: str
    feature_count: int
    bounds: tuple[float, float, float, float]


class TileError(NtmError):
    """A tile address outside the tile matrix."""


def check_address(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise TileError(f"Mức thu phóng z={z} không hợp lệ: cần từ 0 đến {MAX_ZOOM}.")
    size = 2**z
    if not (0 <= x < size and 0 <= y < size):
        raise TileError(f"Ô {z}/{x}/{y} không có: ở mức {z}, x và y từ 0 đến {size - 1}.")


def _is_postgis(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def current_version(session: Session, day: dt.date) -> str:
    """The boundary version of ``day`` (the fingerprint the planner map uses too)."""
    return map_boundaries.data_version(session, day)


def ensure_build(session: Session, day: dt.date) -> Build:
    """The stored levels of the current boundary version, built now if they are not yet.

    Single flight: one builder per process (a lock) and per database (PostgreSQL's advisory
    lock; SQLite's write lock), the others wait and then read what it wrote.
    """
    version = current_version(session, day)
    found = _stored(session, version)
    if found:
        return found
    with _local_lock:
        if _is_postgis(session):
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(_BUILD_LOCK)))
        found = _stored(session, version)
        if found:
            session.commit()
            return found
        build = _build(session, day, version)
        session.commit()
        return build


def _stored(session: Session, version: str) -> Build | None:
    row = session.get(BoundaryLevelBuild, version)
    if row is None:
        return None
    west, south, east, north = (float(v) for v in row.bounds.split(","))
    return Build(row.version, row.feature_count, (west, south, east, north))


def _build(session: Session, day: dt.date, version: str) -> Build:
    communes = communes_on(session, day)
    levels = map_boundaries.simplified_levels(communes)
    ids = communes["id"].tolist()
    rows = []
    for level, geoms in enumerate(levels):
        mercator = gpd.GeoSeries(geoms, crs=4326).to_crs(WEB_MERCATOR).values
        boxes = shapely.bounds(mercator)
        for unit_id, geom, box in zip(ids, mercator, boxes, strict=True):
            if geom is None or geom.is_empty:
                continue
            rows.append(
                {
                    "version": version,
                    "level": level,
                    "unit_id": int(unit_id),
                    "min_x": float(box[0]),
                    "min_y": float(box[1]),
                    "max_x": float(box[2]),
                    "max_y": float(box[3]),
                    "wkb": shapely.to_wkb(geom),
                }
            )
    if rows:
        session.execute(sa.insert(BoundaryLevelFeature), rows)
    bounds = tuple(float(b) for b in communes.total_bounds) if len(communes) else (0, 0, 0, 0)
    session.add(
        BoundaryLevelBuild(
            version=version,
            feature_count=len(ids),
            bounds=",".join(f"{b:.6f}" for b in bounds),
        )
    )
    session.flush()
    return Build(version, len(ids), bounds)  # type: ignore[arg-type]


def prune(session: Session, keep_version: str) -> int:
    """Remove the levels and tiles of every other boundary version; the number of builds removed."""
    removed = session.execute(
        sa.delete(BoundaryLevelBuild).where(BoundaryLevelBuild.version != keep_version)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        sa.delete(BoundaryLevelFeature).where(BoundaryLevelFeature.version != keep_version)
    )
    session.execute(sa.delete(VectorTile).where(VectorTile.version != keep_version))
    return removed


def tile_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's bounds in Web Mercator metres (west, south, east, north)."""
    b = mercantile.xy_bounds(x, y, z)
    return b.left, b.bottom, b.right, b.top


def tile(session: Session, build: Build, z: int, x: int, y: int) -> bytes:
    """The encoded tile ``z/x/y`` of ``build`` (empty bytes where no commune is)."""
    check_address(z, x, y)
    level = map_boundaries.level_for_zoom(z)
    if _is_postgis(session):
        return _postgis_tile(session, build.version, level, z, x, y)
    cached = session.get(VectorTile, (LAYER, build.version, z, x, y))
    if cached is not None:
        return bytes(cached.data)
    data = _encoded_tile(session, build.version, level, z, x, y)
    session.merge(VectorTile(layer=LAYER, version=build.version, z=z, x=x, y=y, data=data))
    session.commit()
    return data


def _in_box(version: str, level: int, box: tuple[float, float, float, float]):
    west, south, east, north = box
    f = BoundaryLevelFeature
    return sa.and_(
        f.version == version,
        f.level == level,
        f.min_x <= east,
        f.max_x >= west,
        f.min_y <= north,
        f.max_y >= south,
    )


def _buffered(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    west, south, east, north = box
    pad = (east - west) * BUFFER / EXTENT
    return west - pad, south - pad, east + pad, north + pad


def _postgis_tile(session: Session, version: str, level: int, z: int, x: int, y: int) -> bytes:
    f = BoundaryLevelFeature
    envelope = sa.func.ST_TileEnvelope(z, x, y)
    geom = sa.func.ST_AsMVTGeom(
        sa.func.ST_GeomFromWKB(f.wkb, WEB_MERCATOR), envelope, EXTENT, BUFFER, True
    )
    rows = (
        sa.select(
            f.unit_id.label("id"),
            AdminUnit.name.label("name"),
            AdminUnit.kind.label("kind"),
            geom.label("geom"),
        )
        .join(AdminUnit, AdminUnit.id == f.unit_id)
        .where(_in_box(version, level, _buffered(tile_box(z, x, y))))
        .subquery("t")
    )
    data = session.execute(
        sa.select(
            sa.func.ST_AsMVT(sa.literal_column("t"), LAYER, EXTENT, "geom", "id")
        ).select_from(rows)
    ).scalar_one()
    return bytes(data or b"")


def _encoded_tile(session: Session, version: str, level: int, z: int, x: int, y: int) -> bytes:
    f = BoundaryLevelFeature
    box = tile_box(z, x, y)
    rows = session.execute(
        sa.select(f.unit_id, AdminUnit.name, AdminUnit.kind, f.wkb)
        .join(AdminUnit, AdminUnit.id == f.unit_id)
        .where(_in_box(version, level, _buffered(box)))
        .order_by(f.unit_id)
    ).all()
    if not rows:
        return b""
    geoms = shapely.clip_by_rect(shapely.from_wkb([bytes(r.wkb) for r in rows]), *_buffered(box))
    # on the tile's integer grid here, so the encoder's own rounding cannot make a polygon invalid
    geoms = shapely.set_precision(shapely.transform(geoms, _to_tile_grid(box)), 1.0)
    features = [
        {"id": r.unit_id, "geometry": g, "properties": {"name": r.name, "kind": r.kind}}
        for r, g in zip(rows, geoms, strict=True)
        if not g.is_empty
    ]
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": LAYER, "features": features}],
        default_options={
            "extents": EXTENT,
            "on_invalid_geometry": on_invalid_geometry_make_valid,
        },
    )


def _to_tile_grid(box: tuple[float, float, float, float]):
    """Metres to the tile's grid (0 to ``EXTENT``, y up; the encoder turns y down)."""
    west, south, east, north = box
    origin = np.array([west, south])
    scale = np.array([EXTENT / (east - west), EXTENT / (north - south)])
    return lambda xy: (xy - origin) * scale


def tilejson(build: Build, tile_url: str) -> dict:
    """TileJSON 3.0.0 of the communes layer; ``tile_url`` holds ``{z}/{x}/{y}``."""
    west, south, east, north = build.bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    span = max(east - west, north - south, 1e-6)
    zoom = max(0, min(MAX_ZOOM, int(math.log2(360 / span))))
    return {
        "tilejson": "3.0.0",
        "name": "Ranh giới xã, phường, đặc khu",
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [west, south, east, north],
        "center": [lon, lat, zoom],
        "vector_layers": [
            {
                "id": LAYER,
                "description": "Xã, phường, đặc khu hiện hành; id = mã đơn vị của ntm-map",
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": {"name": "String", "kind": "String"},
            }
        ],
        "attribution": "Ranh giới: vnprovdb (xem data/boundaries/manifest)",
        "ntm:boundary_version": build.version,
        "ntm:zoom_levels": [
            {"level": i, "min_zoom": mz, "tolerance_m": t}
            for i, (t, mz, _) in enumerate(map_boundaries.ZOOM_LEVELS)
        ],
    }


def feature_ids(data: bytes) -> list[int]:
    """The commune ids in an encoded tile (for tests and the bench)."""
    if not data:
        return []
    decoded = mapbox_vector_tile.decode(data)
    return sorted(int(f["id"]) for f in decoded.get(LAYER, {}).get("features", []))
