"""The planner map's server side: the Folium base map and the themes' colours and labels.

Folium builds the Leaflet map (served Leaflet, no CDN, scale bar, initial view);
the commune layers are not inlined: the page's own script fetches them as JSON,
so changing a theme or a filter never reloads the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import folium
from branca.element import Figure
from markupsafe import Markup, escape

from webmap.maps import DIFFICULTY_COLOURS, LEAFLET_PREFIX, TILE_LAYERS
from webmap.planner_text import messages

NO_DATA_FILL = "url(#ntm-hatch)"
SEQUENTIAL = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
CATEGORICAL = (
    "#8dd3c7", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd",
    "#ccebc5", "#ffed6f", "#d9d9d9", "#a6cee3", "#fb9a99", "#cab2d6", "#ffff99",
)  # fmt: skip
FIXED = {
    "criterion": {"met": "#1a9850", "unmet": "#d73027"},
    "ntm": {
        "none": "#fdae61",
        "standard": "#a6d96a",
        "advanced": "#1a9641",
        "model": "#00441b",
        "not_applicable": "#bababa",
    },
    "sponsor": {"several": "#542788", "none": "#e31a1c"},
    "recency": {
        "le:30": "#08519c",
        "le:90": "#4292c6",
        "le:180": "#9ecae1",
        "gt:180": "#fcbba1",
        "never": "#ef3b2c",
    },
}
REGISTERED = ("#c6dbef", "#6baed6", "#2171b5", "#9ecae1", "#4292c6")
COVERAGE = ("#fee0d2", "#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")


@dataclass(frozen=True)
class BaseMap:
    """The pieces of a rendered Folium map, to place in the planner page."""

    header: Markup
    html: Markup
    script: Markup
    name: str

    def head(self, nonce: str = "") -> Markup:
        """The header, its inline scripts carrying the page's CSP nonce when there is one."""
        if not nonce:
            return self.header
        return Markup(str(self.header).replace("<script>", f'<script nonce="{escape(nonce)}">'))


def base_map(bounds: tuple[float, float, float, float]) -> BaseMap:
    """A Folium map centred on ``bounds`` (lon/lat), Leaflet from the app, no tiles.

    No ``fit_bounds`` here: its zoom animation would swallow the page script's own fit
    (which leaves room for the legend) or the view restored from the URL.
    """
    west, south, east, north = bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        max_zoom=18,
        min_zoom=6,
    )
    m.default_js = [("leaflet", f"{LEAFLET_PREFIX}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{LEAFLET_PREFIX}/leaflet.css")]
    root = cast(Figure, m.get_root())
    root.render()
    return BaseMap(
        Markup(root.header.render()),
        Markup(root.html.render()),
        Markup(root.script.render()),
        m.get_name(),
    )


def basemap_choices(setting: str) -> list[dict]:
    """Base maps the user can pick: none (the default) and the one ``NTM_BASEMAP`` configures
    (online OpenStreetMap, or a local tile source), so the page never asks an origin it was not
    told about."""
    choices = [{"key": "none", "url": None, "attribution": None}]
    if setting == "osm":
        url, attribution = TILE_LAYERS["osm"]
        choices.append({"key": "osm", "url": url, "attribution": attribution})
    elif setting and setting != "none":
        choices.append({"key": "local", "url": setting, "attribution": "local tiles"})
    return choices


def style_theme(theme: dict, lang: str, departments: dict[int, str]) -> dict:
    """Add ``label`` and ``color`` to each class of a ``services.map_themes.classify`` result."""
    text = messages(lang)
    name = theme["theme"]
    registered = [c for c in theme["classes"] if c["key"].startswith("registered:")]
    for i, entry in enumerate(registered):
        entry["registered_index"] = i
    for i, entry in enumerate(theme["classes"]):
        entry["label"] = _label(name, entry, text, departments)
        entry["color"] = _colour(name, entry, i, len(theme["classes"]))
        entry.pop("registered_index", None)
    return theme


def _label(theme: str, entry: dict, text: dict, departments: dict[int, str]) -> str:
    key = entry["key"]
    if key == "no_data":
        return text["no_data"]
    if theme == "ntm":
        if key.startswith("registered:"):
            return text["ntm_registered"].format(year=key.split(":")[1] or "?")
        return text[f"ntm_{key}"]
    if theme == "sponsor":
        if key in ("none", "several"):
            return text[f"sponsor_{key}"]
        return departments.get(entry["department_id"], key)
    if theme in ("unmet", "coverage"):
        low, high = entry["low"], entry["high"]
        if high == 0:
            return text["unmet_zero"] if theme == "unmet" else text["coverage_zero"]
        return str(low) if low == high else text["count_range"].format(low=low, high=high)
    if theme == "recency":
        if key == "never":
            return text["recency_never"]
        kind, days = key.split(":")
        return text[f"recency_{kind}"].format(days=days)
    return text[key]


def _colour(theme: str, entry: dict, index: int, total: int) -> str:
    key = entry["key"]
    if key == "no_data":
        return NO_DATA_FILL
    if theme == "difficulty":
        return DIFFICULTY_COLOURS[key]
    if theme in FIXED and key in FIXED[theme]:
        return FIXED[theme][key]
    if theme == "ntm":  # registered for a year: one blue per year, lighter for the nearer years
        return REGISTERED[entry.get("registered_index", 0) % len(REGISTERED)]
    if theme == "sponsor":
        return CATEGORICAL[index % len(CATEGORICAL)]
    if theme == "coverage":
        return COVERAGE[min(entry["order"], len(COVERAGE) - 1)]
    if theme == "unmet":
        if entry["high"] == 0:
            return "#1a9850"
        numeric = total - 1  # the last class is no data
        step = (len(SEQUENTIAL) - 1) / max(numeric - 1, 1)
        return SEQUENTIAL[round(entry["order"] * step)]
    return "#999999"
