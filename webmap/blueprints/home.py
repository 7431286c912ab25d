"""The first map: today's communes coloured by difficulty."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from geo.simplify import simplify_coverage
from services import map_boundaries
from services.communes import (
    classifications_on,
    classifications_version,
    communes_on,
    difficulty,
)
from webmap import maps
from webmap.db import get_session
from webmap.i18n import current_language, format_number, t

bp = Blueprint("home", __name__)

DIFFICULTY_KEYS = ("mountainous", "coastal_sandy", "island", "several", "none", "no_data")


#: the rendered first maps, by database, day, language, base map and data version: the page
#: after sign-in was rebuilt for every request (79 % of the web CPU under load, docs/performance.md)
_CACHE_SIZE = 8
_cache: OrderedDict[tuple, tuple[str, int, str, str]] = OrderedDict()
_lock = threading.Lock()
#: the first map is an overview: boundaries generalised as the planner map's coarse level does
OVERVIEW_TOLERANCE_M = 150.0


def _data_version(session, today: dt.date) -> tuple:
    """Changes when the boundaries or the classifications do."""
    return (map_boundaries.data_version(session, today), classifications_version(session))


def _build(session, today: dt.date, lang: str, basemap: str) -> tuple[str, int, str, str]:
    communes = communes_on(session, today)
    flags = classifications_on(session, today)
    labels = {key: t(key) for key in DIFFICULTY_KEYS}
    communes["difficulty"] = [difficulty(flags.get(i, {})) for i in communes["id"]]
    communes["difficulty_label"] = [labels[d] for d in communes["difficulty"]]
    communes["kind_label"] = [t(f"kind_{k}") for k in communes["kind"]]
    communes["area_label"] = [
        f"{t('area')}: {format_number(a, 1, lang)} km²" for a in communes["area_km2"]
    ]
    area = format_number(communes["area_km2"].sum(), 1, lang)
    official = format_number(_total(communes["official_area_km2"]), 1, lang)
    if len(communes):
        communes = communes.set_geometry(simplify_coverage(communes.geometry, OVERVIEW_TOLERANCE_M))
    fmap = maps.difficulty_map(communes, labels, t("legend_difficulty"), basemap)
    return fmap.get_root().render(), len(communes), area, official


@bp.get("/")
def index():
    lang = current_language()
    session = get_session()
    today = dt.date.today()
    basemap = current_app.config["NTM_BASEMAP"]
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    key = (
        engine.url.render_as_string(hide_password=True), today, lang, basemap,
        _data_version(session, today),
    )  # fmt: skip
    with _lock:
        built = _cache.get(key)
    if built is None:
        built = _build(session, today, lang, basemap)
        with _lock:
            _cache[key] = built
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    map_html, count, area, official = built
    return render_template(
        "home.html", map_html=map_html, commune_count=count, area_km2=area,
        official_area_km2=official,
    )  # fmt: skip


def _total(values) -> float | None:
    """The sum, or None when no value is known (unknown is not zero)."""
    known = values.dropna()
    return float(known.sum()) if len(known) else None
