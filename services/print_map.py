"""A map as SVG for print: communes filled by a theme, outline, activities, labels, scale bar,
north arrow; and the base-map tiles that would lie under it.

No Flask, no browser: geometry (lon/lat) and colours in, SVG text out. Web Mercator like the
screen (Leaflet), so a printed map has the same shapes as the one the planner looked at.
SVG keeps the PDF vector; Chromium draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from markupsafe import escape

EARTH_RADIUS_M = 6378137.0
TILE_PX = 256
HATCH = (
    '<pattern id="ntm-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><rect width="7" height="7" fill="#ffffff"/>'
    '<line x1="0" y1="0" x2="0" y2="7" stroke="#9e9e9e" stroke-width="2"/></pattern>'
)


@dataclass(frozen=True)
class View:
    """Where the map looks: centre in Mercator pixels at zoom 0, a fractional zoom, a size."""

    cx: float
    cy: float
    zoom: float
    width_px: int
    height_px: int

    @property
    def factor(self) -> float:
        return 2.0**self.zoom

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        """lon/lat pairs to pixel positions on the map."""
        merc = mercator(xy)
        return np.column_stack(
            (
                (merc[:, 0] - self.cx) * self.factor + self.width_px / 2,
                (merc[:, 1] - self.cy) * self.factor + self.height_px / 2,
            )
        )

    @property
    def centre_lat(self) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * self.cy / TILE_PX))))

    @property
    def metres_per_px(self) -> float:
        ground = 2 * math.pi * EARTH_RADIUS_M * math.cos(math.radians(self.centre_lat))
        return ground / (TILE_PX * self.factor)


def mercator(xy: np.ndarray) -> np.ndarray:
    """lon/lat to Web Mercator pixels at zoom 0 (256-pixel world)."""
    lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.0, 85.0)
    x = (lon + 180.0) / 360.0 * TILE_PX
    s = np.sin(np.radians(lat))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * TILE_PX
    return np.column_stack((x, y))


def fit_view(
    bbox: tuple[float, float, float, float], width_px: int, height_px: int, pad_px: int = 16
) -> View:
    """The view that shows all of ``bbox`` (west, south, east, north) in the given size."""
    west, south, east, north = bbox
    corners = mercator(np.array([[west, north], [east, south]]))
    dx = max(corners[1, 0] - corners[0, 0], 1e-9)
    dy = max(corners[1, 1] - corners[0, 1], 1e-9)
    usable_w, usable_h = max(width_px - 2 * pad_px, 10), max(height_px - 2 * pad_px, 10)
    zoom = min(math.log2(usable_w / dx), math.log2(usable_h / dy), 18.0)
    centre = corners.mean(axis=0)
    return View(float(centre[0]), float(centre[1]), zoom, width_px, height_px)


def _ring(view: View, coords) -> str:
    pts = view.to_px(np.asarray(coords)[:, :2])
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"


def path_data(view: View, geom) -> str:
    """SVG path data of a (multi)polygon or (multi)line, in the view's pixels."""
    if geom is None or geom.is_empty:
        return ""
    parts = getattr(geom, "geoms", [geom])
    out = []
    for part in parts:
        if part.geom_type == "Polygon":
            out.append(_ring(view, part.exterior.coords))
            out.extend(_ring(view, hole.coords) for hole in part.interiors)
        elif part.geom_type == "LineString":
            pts = view.to_px(np.asarray(part.coords)[:, :2])
            out.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts))
        elif part.geom_type in ("MultiPolygon", "MultiLineString", "GeometryCollection"):
            out.append(path_data(view, part))
    return "".join(out)


@dataclass
class Feature:
    """A commune to draw: geometry, fill, stroke, and an optional label."""

    id: int
    geom: shapely.Geometry | None
    fill: str
    stroke: str = "#4a4a4a"
    width: float = 0.9
    opacity: float = 0.8
    label: str | None = None


@dataclass
class MapLayers:
    communes: list[Feature]
    outline: shapely.Geometry | None = None
    #: ``(geometry, colour)`` per activity
    activities: list[tuple[shapely.Geometry, str]] = field(default_factory=list)
    north_label: str = "B"


def nice_length_m(max_m: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``max_m``."""
    power = 10 ** math.floor(math.log10(max_m))
    return max(step * power for step in (1, 2, 5) if step * power <= max_m)


def scale_bar(view: View, x: float = 14, y: float | None = None) -> str:
    """A scale bar (metres or kilometres) in the bottom-left corner."""
    y = view.height_px - 18 if y is None else y
    length_m = nice_length_m(view.width_px / 4 * view.metres_per_px)
    length_px = length_m / view.metres_per_px
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    half = length_px / 2
    return (
        f'<g class="scale-bar" font-size="11"><rect x="{x - 6}" y="{y - 20}" width="{length_px + 12}"'
        f' height="30" fill="#ffffff" fill-opacity="0.85"/>'
        f'<rect x="{x}" y="{y}" width="{half:.1f}" height="5" fill="#222"/>'
        f'<rect x="{x + half:.1f}" y="{y}" width="{half:.1f}" height="5" fill="#fff" stroke="#222"/>'
        f'<text x="{x}" y="{y - 5}">0</text>'
        f'<text x="{x + length_px:.1f}" y="{y - 5}" text-anchor="end">{text}</text></g>'
    )


def north_arrow(view: View, label: str) -> str:
    x, y = view.width_px - 30, 16
    return (
        f'<g class="north-arrow"><circle cx="{x}" cy="{y + 18}" r="15" fill="#fff" fill-opacity="0.85"/>'
        f'<path d="M{x},{y + 2} L{x + 8},{y + 26} L{x},{y + 20} L{x - 8},{y + 26} Z" fill="#222"/>'
        f'<text x="{x}" y="{y + 44}" text-anchor="middle" font-size="12" font-weight="bold">'
        f"{escape(label)}</text></g>"
    )


def _activity(view: View, geom, colour: str) -> str:
    c = escape(colour)
    if geom.geom_type == "Point":
        x, y = view.to_px(np.array([[geom.x, geom.y]]))[0]
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}" stroke="#fff" stroke-width="1.2"/>'
        )
    if geom.geom_type == "MultiPoint":
        return "".join(_activity(view, g, colour) for g in geom.geoms)
    fill = f'fill="{c}" fill-opacity="0.35"' if "Polygon" in geom.geom_type else 'fill="none"'
    return f'<path d="{path_data(view, geom)}" {fill} stroke="{c}" stroke-width="3"/>'


def _labels(view: View, communes: list[Feature]) -> str:
    """Names at a point inside each commune, larger communes first, none overlapping."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    order = sorted(communes, key=lambda f: -f.geom.area if f.geom is not None else 0.0)
    for f in order:
        if not f.label or f.geom is None or f.geom.is_empty:
            continue
        p = shapely.point_on_surface(f.geom)
        x, y = view.to_px(np.array([[p.x, p.y]]))[0]
        half = len(f.label) * 3.1 + 3
        box = (x - half, y - 8, x + half, y + 8)
        if not (0 < x < view.width_px and 0 < y < view.height_px):
            continue
        if any(box[0] < o[2] and box[2] > o[0] and box[1] < o[3] and box[3] > o[1] for o in placed):
            continue
        placed.append(box)
        out.append(
            f'<text x="{x:.1f}" y="{y + 3:.1f}" text-anchor="middle">{escape(f.label)}</text>'
        )
    return (
        '<g class="labels" font-size="10" fill="#1b1b1b" stroke="#ffffff" stroke-width="2.5" '
        f'paint-order="stroke">{"".join(out)}</g>'
    )


def render_svg(view: View, layers: MapLayers, transparent: bool = False) -> str:
    """The map as a standalone SVG document (fonts: DejaVu Sans, which has Vietnamese)."""
    body = []
    for f in layers.communes:
        d = path_data(view, f.geom)
        if d:
            body.append(
                f'<path d="{d}" fill="{escape(f.fill)}" fill-opacity="{f.opacity}" '
                f'stroke="{escape(f.stroke)}" stroke-width="{f.width}" fill-rule="evenodd"/>'
            )
    if layers.outline is not None:
        body.append(
            f'<path d="{path_data(view, layers.outline)}" fill="none" stroke="#1b3a1b" '
            'stroke-width="2.6" fill-rule="evenodd"/>'
        )
    body.extend(_activity(view, g, c) for g, c in layers.activities if g is not None)
    body.append(_labels(view, layers.communes))
    background = (
        ""
        if transparent
        else f'<rect width="{view.width_px}" height="{view.height_px}" fill="#f8f6f0"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{view.width_px}" height="{view.height_px}" '
        f'viewBox="0 0 {view.width_px} {view.height_px}" font-family="DejaVu Sans, sans-serif">'
        f"<defs>{HATCH}</defs>{background}{''.join(body)}"
        f"{scale_bar(view)}{north_arrow(view, layers.north_label)}</svg>"
    )


@dataclass(frozen=True)
class Tile:
    url: str
    left_px: float
    top_px: float
    size_px: float


def tiles_for(view: View, template: str) -> list[Tile]:
    """The base-map tiles (``{z}/{x}/{y}`` template) that cover the view."""
    z = max(0, min(18, math.floor(view.zoom)))
    size = TILE_PX * 2 ** (view.zoom - z)
    origin_x = view.cx * view.factor - view.width_px / 2
    origin_y = view.cy * view.factor - view.height_px / 2
    first_x, first_y = math.floor(origin_x / size), math.floor(origin_y / size)
    last_x = math.floor((origin_x + view.width_px) / size)
    last_y = math.floor((origin_y + view.height_px) / size)
    tiles = []
    for tx in range(first_x, last_x + 1):
        for ty in range(max(first_y, 0), min(last_y, 2**z - 1) + 1):
            url = (
                template.replace("{s}", "a").replace("{z}", str(z))
                .replace("{x}", str(tx % 2**z)).replace("{y}", str(ty)).replace("{r}", "")
            )  # fmt: skip
            tiles.append(Tile(url, tx * size - origin_x, ty * size - origin_y, size))
    return tiles
