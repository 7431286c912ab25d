"""The Flask application factory."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet
from flask import Flask, send_from_directory
from flask.json.provider import DefaultJSONProvider

from webmap import auth, db, errors, i18n, security
from webmap.settings import from_environment


def import_blueprints() -> list:
    """Every blueprint module listed in ``webmap.blueprints.MODULES`` (each exposes ``bp``)."""
    from importlib import import_module

    from webmap.blueprints import MODULES

    return [import_module(f"webmap.blueprints.{name}") for name in MODULES]


#: the header's links: (endpoint, message key); endpoints not registered are left out
MAIN_NAV = (
    ("planner.planner_map", "nav_map"),
    ("activities.list_page", "nav_activities"),
    ("priorities_pages.index", "nav_lists"),
    ("plans.index", "nav_plans"),
    ("exports.reports_page", "nav_reports"),
    ("facts_pages.import_page", "nav_facts"),
)


def main_nav(app: Flask) -> list[tuple[str, str]]:
    return [(endpoint, key) for endpoint, key in MAIN_NAV if endpoint in app.view_functions]


class JSONProvider(DefaultJSONProvider):
    """Dates and times as ISO 8601 ("2026-04-02"), which the pages' ``NTM.date`` reads and shows
    as dd/mm/yyyy; Flask's default would send an HTTP date ("Thu, 02 Apr 2026 00:00:00 GMT")."""

    @staticmethod
    def default(o):
        if isinstance(o, dt.date):  # datetime too
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults → instance/config.py → environment → ``test_config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    app.config.from_mapping(from_environment())
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SECRET_KEY"] = app.config.get("NTM_SECRET_KEY") or secrets.token_hex(32)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    app.jinja_env.globals.update(
        t=i18n.t,
        format_number=i18n.format_number,
        format_date=i18n.format_date,
        as_date=i18n.as_date,
    )
    app.context_processor(lambda: {"lang": i18n.current_language(), "main_nav": main_nav(app)})

    for module in import_blueprints():
        app.register_blueprint(module.bp)

    @app.get("/vendor/leaflet/<path:filename>")
    def leaflet_assets(filename: str):
        return send_from_directory(xstatic_leaflet.BASE_DIR, filename, max_age=86400)

    return app
