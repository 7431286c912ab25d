"""The Flask application factory."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import cache
from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet
from flask import Flask, Response, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_compress import Compress

from webmap import auth, db, errors, i18n, request_log, security
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


class MissingSecretKey(RuntimeError):
    """Production without ``NTM_SECRET_KEY``: sessions would not survive a restart nor be
    shared by the worker processes."""

    MESSAGE = (
        "NTM_SECRET_KEY chưa được đặt: máy chủ chạy thật (ntm serve) cần một khóa bí mật chung "
        "cho mọi tiến trình. Tạo khóa bằng\n"
        "  python3 -c 'import secrets; print(secrets.token_hex(32))'\n"
        'rồi đặt biến môi trường NTM_SECRET_KEY=<khóa> (hoặc dòng NTM_SECRET_KEY = "<khóa>" '
        "trong instance/config.py). Chỉ để thử trên máy mình: ntm serve --dev.\n"
        "NTM_SECRET_KEY is not set; make one with the command above."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


#: compressed when the client accepts it (flask-compress): pages, scripts, styles, JSON
COMPRESS_MIMETYPES = [
    "text/html",
    "text/css",
    "text/csv",
    "text/plain",
    "text/calendar",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
]
#: a static file asked for with its content hash (``?v=``) is kept by browsers for a year
IMMUTABLE_S = 365 * 86400


@cache
def _file_hash(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _static_version(app: Flask, endpoint: str, values: dict) -> None:
    """``url_for('static', filename=…)`` gets ``v=<content hash>``: a changed file gets a new
    URL, so an unchanged one can be cached for good."""
    if endpoint != "static" or "v" in values or not app.static_folder:
        return
    path = Path(app.static_folder) / values.get("filename", "")
    if path.is_file():
        values["v"] = _file_hash(str(path), path.stat().st_mtime_ns)


def _static_headers(response: Response) -> Response:
    """Files sent from disk (static, vendored Leaflet) are read into memory so that
    flask-compress compresses them whole (it would stream them and leave the file open); static
    files asked for by content hash are kept for a year."""
    if response.status_code != 200:
        return response
    if response.mimetype in COMPRESS_MIMETYPES and response.is_streamed:
        response.direct_passthrough = False
        response.make_sequence()  # e.g. the vendored Leaflet, sent by send_from_directory
    if request.endpoint != "static":
        return response
    if request.args.get("v"):
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_S
        response.cache_control.no_cache = None
        response.cache_control.immutable = True
    return response


def create_app(test_config: dict | None = None, *, production: bool = False) -> Flask:
    """Build the app: defaults → instance/config.py → environment → ``test_config``.

    ``production`` (``ntm serve``, ``webmap.wsgi``) refuses to start without
    ``NTM_SECRET_KEY`` (``MissingSecretKey``) and logs each request to stdout.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.json = JSONProvider(app)
    app.config.from_mapping(from_environment())
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    if production and not app.config.get("NTM_SECRET_KEY"):
        raise MissingSecretKey()
    app.config["SECRET_KEY"] = app.config.get("NTM_SECRET_KEY") or secrets.token_hex(32)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if production:
        request_log.configure_logging()

    request_log.init_app(app)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed files are read whole first
    Compress(app)
    app.url_defaults(lambda endpoint, values: _static_version(app, endpoint, values))
    app.after_request(_static_headers)  # runs before Compress's hook

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
