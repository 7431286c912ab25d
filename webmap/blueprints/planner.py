"""The planner map page at ``/map``: a light shell; its script fetches the data as JSON."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template

from services.map_boundaries import boundary_layers
from webmap.db import get_session
from webmap.i18n import current_language
from webmap.planner_map import base_map
from webmap.planner_text import messages

bp = Blueprint("planner", __name__)


@bp.get("/map")
def planner_map():
    lang = current_language()
    layers = boundary_layers(get_session(), dt.date.today())
    return render_template(
        "planner.html",
        base=base_map(layers.bounds),
        text=messages(lang),
        lang=lang,
    )
