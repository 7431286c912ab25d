"""The planner map page at ``/map``: a light shell; its script fetches the data as JSON."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template

from services import demo
from services.map_boundaries import boundary_layers
from webmap.analysis_text import messages as analysis_messages
from webmap.auth import allowed, current_user, rule_for
from webmap.db import get_session
from webmap.i18n import current_language
from webmap.planner_map import base_map
from webmap.planner_text import messages
from webmap.security import auth_mode

bp = Blueprint("planner", __name__)


@bp.get("/map")
def planner_map():
    lang = current_language()
    session = get_session()
    layers = boundary_layers(session, dt.date.today())
    return render_template(
        "planner.html",
        base=base_map(layers.bounds),
        text={**messages(lang), **analysis_messages(lang)},
        lang=lang,
        demo_data=demo.has_demo_data(session),
        can_plan=allowed(rule_for("sponsorship_api.start", "POST"), current_user(), auth_mode()),
    )
