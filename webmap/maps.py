"""Folium map builders. The only module that imports Folium.

Leaflet is served by the app itself (``/static/vendor/leaflet``): no CDN, so the
map works with no internet.
"""

from __future__ import annotations

import html
from typing import cast

import folium
import geopandas as gpd
from branca.element import Element, Figure

LEAFLET_PREFIX = "/vendor/leaflet"

DIFFICULTY_COLOURS = {
    "mountainous": "#8c6d31",
    "coastal_sandy": "#e6ab02",
    "island": "#1f78b4",
    "several": "#d95f02",
    "none": "#d9d9d9",
    "no_data": "#ffffff",
}

TOOLTIP_FIELDS = ("name", "kind_label", "area_label", "difficulty_label")

TILE_LAYERS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
}


def offline_map(basemap: str = "none", **kwargs) -> folium.Map:
    """A folium Map whose Leaflet comes from the app, with an optional base map."""
    m = folium.Map(tiles=None, control_scale=True, **kwargs)
    m.default_js = [("leaflet", f"{LEAFLET_PREFIX}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{LEAFLET_PREFIX}/leaflet.css")]
    if basemap in TILE_LAYERS:
        url, attribution = TILE_LAYERS[basemap]
        folium.TileLayer(url, attr=attribution, name=basemap).add_to(m)
    elif basemap and basemap != "none":
        folium.TileLayer(basemap, attr="local tiles", name="local").add_to(m)
    return m


def difficulty_map(
    communes: gpd.GeoDataFrame, labels: dict[str, str], legend_title: str, basemap: str = "none"
) -> folium.Map:
    """Communes coloured by difficulty (``communes['difficulty']``), with a matching legend.

    ``communes`` needs ``name``, ``kind_label``, ``area_label``, ``difficulty_label``.
    """
    bounds = communes.total_bounds
    m = offline_map(
        basemap, location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=8
    )
    data = communes[
        ["id", "name", "kind_label", "area_label", "difficulty", "difficulty_label", "geometry"]
    ].copy()
    # folium.GeoJsonTooltip inserts the field values as HTML: escape them so names show as text
    for field in TOOLTIP_FIELDS:
        data[field] = [html.escape(str(v)) for v in data[field]]
    folium.GeoJson(
        data.to_json(drop_id=True),
        name=legend_title,
        style_function=lambda f: {
            "fillColor": DIFFICULTY_COLOURS[f["properties"]["difficulty"]],
            "color": "#333333",
            "weight": 0.8,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=list(TOOLTIP_FIELDS),
            aliases=["", "", "", ""],
            labels=False,
        ),
    ).add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    counts = communes["difficulty"].value_counts()
    cast(Figure, m.get_root()).html.add_child(Element(_legend_html(legend_title, labels, counts)))
    return m


def _legend_html(title: str, labels: dict[str, str], counts) -> str:
    rows = "".join(
        f'<li><span class="swatch" style="background:{DIFFICULTY_COLOURS[key]}"></span>'
        f"{html.escape(label)} <small>({int(counts.get(key, 0))})</small></li>"
        for key, label in labels.items()
    )
    return (
        '<div class="map-legend" role="region" aria-label="legend">'
        f"<strong>{html.escape(title)}</strong><ul>{rows}</ul></div>"
        "<style>.map-legend{position:absolute;bottom:24px;right:10px;z-index:1000;background:#fff;"
        "padding:8px 12px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px sans-serif}"
        ".map-legend ul{list-style:none;margin:6px 0 0;padding:0}.map-legend li{margin:2px 0}"
        ".swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
        "border:1px solid #555}</style>"
    )
