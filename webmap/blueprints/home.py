"""The first map: today's communes coloured by difficulty."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template

from services.communes import classifications_on, communes_on, difficulty
from webmap import maps
from webmap.db import get_session
from webmap.i18n import current_language, format_number, t

bp = Blueprint("home", __name__)

DIFFICULTY_KEYS = ("mountainous", "coastal_sandy", "island", "several", "none", "no_data")


@bp.get("/")
def index():
    lang = current_language()
    session = get_session()
    today = dt.date.today()
    communes = communes_on(session, today)
    flags = classifications_on(session, today)
    labels = {key: t(key) for key in DIFFICULTY_KEYS}
    communes["difficulty"] = [difficulty(flags.get(i, {})) for i in communes["id"]]
    communes["difficulty_label"] = [labels[d] for d in communes["difficulty"]]
    communes["kind_label"] = [t(f"kind_{k}") for k in communes["kind"]]
    communes["area_label"] = [
        f"{t('area')}: {format_number(a, 1, lang)} km²" for a in communes["area_km2"]
    ]
    fmap = maps.difficulty_map(
        communes, labels, t("legend_difficulty"), current_app.config["NTM_BASEMAP"]
    )
    return render_template(
        "home.html",
        map_html=fmap.get_root().render(),
        commune_count=len(communes),
        area_km2=format_number(communes["area_km2"].sum(), 1, lang),
        official_area_km2=format_number(_total(communes["official_area_km2"]), 1, lang),
    )


def _total(values) -> float | None:
    """The sum, or None when no value is known (unknown is not zero)."""
    known = values.dropna()
    return float(known.sum()) if len(known) else None
