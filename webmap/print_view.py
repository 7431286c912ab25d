"""What a printed map shows: the planner map's view (the same URL parameters) turned into SVG
layers, a legend, a subtitle and the data sources. Used by the print and meeting-pack pages.

The colours and classes come from the same functions as the screen's
(``services.map_themes.classify`` + ``webmap.planner_map.style_theme``; the analysis themes
``priority``, ``cover`` and ``gap`` from ``services.theme_values``, which repeats the rules of
``analysis.js``/``coverage.js``) and the filters are the screen's (``planner.js`` ``matches``),
so the meeting gets the map the planner saw.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field

import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import ActivityType, Organisation, PriorityList, PriorityListItem, UnitGeometry
from services import map_activities, map_boundaries, map_data, map_themes, ranking, theme_values
from services.fields import is_digits
from services.print_map import Feature, MapLayers, View, fit_view, render_svg, tiles_for
from webmap.analysis_text import messages as analysis_messages
from webmap.i18n import format_date, format_number
from webmap.planner_map import basemap_choices, style_theme
from webmap.planner_text import messages

FILTER_KEYS = ("diff", "cstat", "ntm", "dept", "dist", "cls")
ALL_THEMES = (*map_themes.THEMES, *theme_values.ANALYSIS_THEMES)
_geometry_cache: dict[tuple, tuple[dict[int, shapely.Geometry], shapely.Geometry]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 6


@dataclass
class PrintState:
    """The planner's view parameters (see ``NTM.readState`` in ``util.js``)."""

    theme: str = "difficulty"
    filters: dict[str, str] = field(default_factory=dict)
    list_id: int | None = None
    activities: bool = True
    labels: bool = True
    base: str = "none"
    lang: str = "vi"
    bbox: tuple[float, float, float, float] | None = None
    #: ``w=`` (priority weights) and ``cov=`` (report period) as the planner map writes them
    weights: str = ""
    cov: str = ""

    @classmethod
    def from_args(cls, args, lang: str) -> PrintState:
        theme = args.get("theme") or "difficulty"
        if theme not in ALL_THEMES:
            raise NtmError(
                f"Không có chủ đề bản đồ “{theme}” (tham số “theme”). "
                f"Các chủ đề: {', '.join(ALL_THEMES)}."
            )
        bbox = None
        try:
            parts = [float(v) for v in args.get("bbox", "").split(",")]
            if len(parts) == 4 and parts[0] < parts[2] and parts[1] < parts[3]:
                bbox = (parts[0], parts[1], parts[2], parts[3])
        except ValueError:
            bbox = None
        list_text = args.get("list", "")
        return cls(
            theme=theme,
            filters={k: args.get(k, "") for k in FILTER_KEYS if args.get(k, "")},
            list_id=int(list_text) if is_digits(list_text) else None,
            activities=args.get("act", "1") == "1",
            labels=args.get("labels", "1") == "1",
            base=args.get("base", "none") or "none",
            lang=lang,
            bbox=bbox,
            # the print URL also has ``w`` = sheet width (digits only); the planner's weights
            # always have commas (``writeWeights`` writes every factor)
            weights=args.get("w", ""),
            cov=args.get("cov", ""),
        )


def _parsed(
    session: Session, day: dt.date, level: int
) -> tuple[dict[int, shapely.Geometry], shapely.Geometry]:
    """Commune geometries (lon/lat) and outline of a simplification level, parsed once per
    database, day and data version (a few kept; shared by request threads and the export worker)."""
    layers = map_boundaries.boundary_layers(session, day)
    bind = session.get_bind()
    url = (bind if isinstance(bind, sa.Engine) else bind.engine).url.render_as_string(
        hide_password=True
    )
    key = (url, layers.version, day, level)
    with _cache_lock:
        found = _geometry_cache.get(key)
    if found is None:
        parsed = json.loads(layers.levels[level].text)
        shapes = {int(f["id"]): shapely.geometry.shape(f["geometry"]) for f in parsed["features"]}
        found = (shapes, shapely.from_geojson(layers.outlines[level]))
        with _cache_lock:
            _geometry_cache[key] = found
            while len(_geometry_cache) > _CACHE_SIZE:
                del _geometry_cache[next(iter(_geometry_cache))]
    return found


def geometries(session: Session, day: dt.date, level: int) -> dict[int, shapely.Geometry]:
    return _parsed(session, day, level)[0]


def outline(session: Session, day: dt.date, level: int):
    return _parsed(session, day, level)[1]


def matches(row: dict, state: PrintState, theme: dict, ntm_assign: dict) -> bool:
    """The screen's filter rules (``planner.js``), for one commune row."""
    f = state.filters
    if f.get("ntm") and ntm_assign.get(row["id"]) != f["ntm"]:
        return False
    if f.get("diff") and row["difficulty"] != f["diff"]:
        return False
    if f.get("cstat") and (row["criterion"] or "no_data") != f["cstat"]:
        return False
    if f.get("dept") == "none" and row["sponsors"]:
        return False
    if f.get("dept") and f["dept"] != "none" and int(f["dept"] or 0) not in row["sponsors"]:
        return False
    if f.get("dist") and f["dist"] not in row["former_districts"]:
        return False
    return not f.get("cls") or theme["assign"].get(row["id"]) == f["cls"]


@dataclass
class MapSheet:
    """Everything one printed map needs."""

    svg: str
    legend_title: str
    legend: list[dict]
    activity_legend: list[dict]
    view: View
    tiles: list
    rows: list[dict]
    theme: dict
    #: a line under the legend (the priority theme's maximum score)
    note: str = ""


def department_names(session: Session) -> dict[int, str]:
    label = sa.func.coalesce(Organisation.short_name, Organisation.name)
    return {
        r.id: r.label for r in session.execute(sa.select(Organisation.id, label.label("label")))
    }


def list_unit_ids(session: Session, list_id: int | None) -> set[int]:
    if list_id is None:
        return set()
    return set(
        session.scalars(
            sa.select(PriorityListItem.unit_id).where(PriorityListItem.priority_list_id == list_id)
        )
    )


def activity_features(
    session: Session, query: map_data.MapQuery
) -> list[tuple[shapely.Geometry, str]]:
    """``(geometry, type code)`` of the period's activities (the map's own query)."""
    data = json.loads(map_activities.activities_geojson(session, query))
    return [(shapely.geometry.shape(f["geometry"]), f["properties"]["t"]) for f in data["features"]]


def _activity_layer(features, types: dict[str, ActivityType], bounds) -> tuple[list, list]:
    drawn: list[tuple[shapely.Geometry, str]] = []
    counts: dict[str, int] = {}
    box = shapely.box(*bounds) if bounds else None
    for geom, code in features:
        if box is not None and not geom.intersects(box):
            continue
        t = types.get(code)
        drawn.append((geom, t.colour if t else "#555555"))
        counts[code] = counts.get(code, 0) + 1
    legend = [
        {"label": types[c].name_vi if c in types else c, "color": types[c].colour if c in types else "#555555", "count": n}
        for c, n in sorted(counts.items())
    ]  # fmt: skip
    return drawn, legend


def map_sheet(
    session: Session, query: map_data.MapQuery, state: PrintState, size: tuple[int, int],
    *, focus: int | None = None, level: int = 1, rows: list[dict] | None = None,
    activities: list | None = None, theme: dict | None = None,
) -> MapSheet:  # fmt: skip
    """The map of ``state`` at ``size`` px; ``focus`` zooms to one commune and outlines it;
    ``theme`` is a theme already computed for the same state (the pack's pages)."""
    text = {**messages(state.lang), **analysis_messages(state.lang)}
    rows = rows if rows is not None else map_data.commune_rows(session, query)
    theme = theme or sheet_theme(session, rows, state)
    classes = {c["key"]: c for c in theme["classes"]}
    ntm_assign = map_themes.classify(rows, "ntm")["assign"] if state.filters.get("ntm") else {}
    geoms = geometries(session, query.day, level)
    listed = list_unit_ids(session, state.list_id)
    if focus is not None and focus in geoms:
        w, s, e, n = geoms[focus].bounds
        pad = max(e - w, n - s) * 0.15
        bbox = (w - pad, s - pad, e + pad, n + pad)
    else:
        bbox = state.bbox or map_boundaries.boundary_layers(session, query.day).bounds
    view = fit_view(bbox, *size)
    # only what the sheet shows (the view may be wider than bbox: fit keeps the aspect)
    degrees_per_px = 360 / (256 * view.factor)  # longitude; latitude spans less: safe margin
    half_w, half_h = view.width_px * degrees_per_px * 0.55, view.height_px * degrees_per_px * 0.55
    mid_x, mid_y = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    wide = shapely.box(mid_x - half_w, mid_y - half_h, mid_x + half_w, mid_y + half_h)
    features: list[Feature] = []
    counts: dict[str, int] = {}
    for row in rows:
        geom = geoms.get(row["id"])
        if geom is None or not geom.intersects(wide):
            continue
        key = theme["assign"].get(row["id"])
        ok = matches(row, state, theme, ntm_assign)
        style = (
            {"fill": classes[key]["color"] if key in classes else "#cccccc", "opacity": 0.8}
            if ok else {"fill": "#f3f3f3", "opacity": 0.45, "stroke": "#b5b5b5", "width": 0.6}
        )  # fmt: skip
        if ok:
            counts[key] = counts.get(key, 0) + 1
        if row["id"] in listed:
            style.update(stroke="#0b3d91", width=3.2)
        if row["id"] == focus:
            style.update(stroke="#000000", width=3.6)
        label = row["name"].removeprefix("Xã ") if state.labels else None
        features.append(Feature(row["id"], geom, label=label, **style))
    drawn: list[tuple[shapely.Geometry, str]] = []
    activity_legend: list[dict] = []
    if state.activities:
        types = {t.code: t for t in session.scalars(sa.select(ActivityType))}
        found = activities if activities is not None else activity_features(session, query)
        drawn, activity_legend = _activity_layer(found, types, bbox)
    layers = MapLayers(
        features, outline(session, query.day, level), drawn, "B" if state.lang == "vi" else "N"
    )
    legend = [dict(c, count=counts.get(c["key"], 0)) for c in theme["classes"]]
    title = text[f"theme_{state.theme}"]
    if (period := getattr(theme.get("values"), "period", None)) is not None:
        title += f" ({period.label})"  # as the screen's legendTitle
    return MapSheet(
        render_svg(view, layers, transparent=state.base != "none"),
        title, legend, activity_legend, view, _tiles(view, state.base), rows, theme,
        theme.get("note", ""),
    )  # fmt: skip


def sheet_theme(session: Session, rows: list[dict], state: PrintState) -> dict:
    """The theme of ``state`` as the screen styles it: ``classes`` (key, color, label),
    ``assign``; the analysis themes also keep their ``values`` (weights, period)."""
    if state.theme not in theme_values.ANALYSIS_THEMES:
        return style_theme(
            map_themes.classify(rows, state.theme), state.lang, department_names(session)
        )
    values = theme_values.theme_values(
        session, state.theme, weights=state.weights, cov=state.cov, list_id=state.list_id,
        today=dt.date.today(),
    )  # fmt: skip
    text, lang = analysis_messages(state.lang), state.lang
    note = ""
    if values.theme == "priority":
        note = text["rank_max_note"].replace("{max}", format_number(values.max_score, 1, lang))
    elif values.theme == "gap" and state.list_id is None:
        note = text["gap_no_activity_need_list"]
    return {
        "theme": values.theme,
        "classes": [dict(c, label=class_label(values.theme, c, text, lang)) for c in values.classes],
        "assign": values.assign,
        "note": note,
        "values": values,
    }  # fmt: skip


def class_label(theme: str, c: dict, text: dict[str, str], lang: str) -> str:
    """A class's legend label, worded like analysis.js / coverage.js."""
    if theme == "priority":
        low, high = format_number(c["low"], 1, lang), format_number(c["high"], 1, lang)
        return text["rank_score_class"].replace("{low}", low).replace("{high}", high)
    if theme == "cover":
        low, high = c["low"], c["high"]
        if high == 0:
            return text["cover_class_zero"]
        return f"≥ {low}" if high is None else str(low) if low == high else f"{low}–{high}"
    names = {"no_activity": "gap_no_activity", "waiting": "gap_waiting",
             "crowded": "gap_crowded", "unmet_open": "gap_unmet", "none": "gap_other"}  # fmt: skip
    return text[names[c["key"]]]


def _analysis_subtitle(state: PrintState, sheet: MapSheet) -> str:
    """The weights (when they are not the defaults) or the report period of an analysis theme."""
    values = sheet.theme.get("values")
    if values is None:
        return ""
    text, lang = analysis_messages(state.lang), state.lang
    if values.theme == "priority":
        if values.weights == ranking.DEFAULT_WEIGHTS:
            return ""
        shown = ", ".join(
            f"{text[f'factor_{name}']} {format_number(w, 1, lang)}"
            for name, w in values.weights.items()
        )
        return f"{text['rank_weights']}: {shown}"
    p = values.period
    return f"{text['cover_title']}: {format_date(p.start)} – {format_date(p.end)}"


def _tiles(view: View, base: str, setting: str | None = None) -> list:
    from flask import current_app

    choices = basemap_choices(setting or current_app.config.get("NTM_BASEMAP", "none"))
    choice = next((c for c in choices if c["key"] == base and c["url"]), None)
    return tiles_for(view, choice["url"]) if choice else []


def subtitle(session: Session, query: map_data.MapQuery, state: PrintState, sheet: MapSheet) -> str:
    """What the map shows, in words: theme, filters, period (dd/mm/yyyy)."""
    text = messages(state.lang)
    parts = [f"{text['theme']}: {sheet.legend_title}"]
    if extra := _analysis_subtitle(state, sheet):
        parts.append(extra)
    f = state.filters
    if f.get("diff"):
        parts.append(f"{text['difficulty']}: {text.get(f['diff'], f['diff'])}")
    if f.get("dept"):
        names = department_names(session)
        dept = (
            text["sponsor_none"]
            if f["dept"] == "none"
            else names.get(int(f["dept"]) if is_digits(f["dept"]) else -1, f["dept"])
        )
        parts.append(f"{text['department']}: {dept}")
    if f.get("dist"):
        parts.append(f"{text['former_district']}: {f['dist']}")
    if f.get("ntm"):
        parts.append(f"{text['ntm_level']}: {f['ntm']}")
    if f.get("cls"):
        chosen = next((c["label"] for c in sheet.legend if c["key"] == f["cls"]), f["cls"])
        parts.append(f"{sheet.legend_title}: {chosen}")
    if state.list_id is not None:
        plist = session.get(PriorityList, state.list_id)
        if plist is not None and plist.deleted_at is None:
            parts.append(f"{text['priority']}: {plist.name}")
    start, end = query.period()
    parts.append(f"{text['period']}: {format_date(start)} – {format_date(end)}")
    return " · ".join(parts)


def sources(session: Session) -> list[str]:
    """Data sources and attribution of the boundaries shown (``UnitGeometry`` provenance)."""
    rows = session.execute(
        sa.select(UnitGeometry.source, UnitGeometry.licence, UnitGeometry.attribution, sa.func.max(UnitGeometry.source_date))
        .where(UnitGeometry.is_current)
        .group_by(UnitGeometry.source, UnitGeometry.licence, UnitGeometry.attribution)
    ).all()  # fmt: skip
    out: list[str] = []
    for source, licence, attribution, day in rows:
        bits = [(attribution or source or "").split(";")[0].strip()]
        if licence:
            bits.append(f"giấy phép {licence.split('(')[0].strip()}")
        if day:
            bits.append(f"ngày {format_date(day)}")
        text = ", ".join(b for b in bits if b)
        if text and text not in out:
            out.append(text)
    return out
