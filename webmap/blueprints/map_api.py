"""JSON API of the planner map under ``/api/map``: parse, call the service, respond.

Geometry and attributes travel apart: boundaries (id + geometry, per zoom band)
are cacheable with an ETag and change only with the data; attributes are small
and follow the filters. Large responses are gzip-compressed when the browser allows.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import shapely
import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request

from geo.errors import InvalidGeometryError, NtmError
from geo.models import Organisation
from geo.spatial import communes_for_geometry
from services import map_activities, map_boundaries, map_data, map_themes
from services.commune_panel import commune_panel
from services.fields import is_digits
from services.search import search_communes
from webmap.db import get_session
from webmap.i18n import current_language
from webmap.planner_map import basemap_choices, style_theme
from webmap.request_body import json_object

bp = Blueprint("map_api", __name__, url_prefix="/api/map")

GZIP_MIN_BYTES = 1024


def _date(name: str, default: dt.date | None = None) -> dt.date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NtmError(
            f"Ngày không hợp lệ ở tham số “{name}”: {text!r}. Hãy dùng dạng YYYY-MM-DD."
        ) from None


def _day() -> dt.date:
    """The map's day: ``date`` or today."""
    return _date("date") or dt.date.today()


def _int(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    if not is_digits(text):
        raise NtmError(f"Tham số “{name}” phải là một số, không phải {text!r}.")
    return int(text)


def _int_list(name: str) -> tuple[int, ...]:
    parts = [p for p in request.args.get(name, "").split(",") if p.strip()]
    if not all(is_digits(p.strip()) for p in parts):
        raise NtmError(f"Tham số “{name}” phải là danh sách số cách nhau bởi dấu phẩy.")
    return tuple(int(p) for p in parts)


def map_query() -> map_data.MapQuery:
    """The map parameters of the request (``date``, ``set``, ``criterion``, ``from``, ``to``...)."""
    day = _day()
    start, end = _date("from"), _date("to")
    if start and end and start > end:
        raise NtmError("Ngày bắt đầu của kỳ phải trước hoặc bằng ngày kết thúc.")
    types = tuple(t for t in request.args.get("types", "").split(",") if t)
    return map_data.MapQuery(
        day=day,
        criteria_set_id=_int("set"),
        criterion_id=_int("criterion"),
        period_from=start,
        period_to=end,
        activity_types=types,
        organiser_ids=_int_list("organisers"),
    )


def _cached_text(body: str, mimetype: str = "application/geo+json") -> Response:
    """A response the browser may keep and revalidate with its ETag."""
    response = Response(body, mimetype=mimetype)
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.make_conditional(request)
    return response


@bp.after_request
def compress(response: Response) -> Response:
    """Gzip JSON bodies above a kilobyte when the client accepts it."""
    if (
        response.status_code != 200
        or response.direct_passthrough
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in response.headers
    ):
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/config")
def config():
    day = _day()
    session = get_session()
    layers = map_boundaries.boundary_layers(session, day)
    options = map_activities.filter_options(session, day)
    current = map_data.criteria_set_on(session, day)
    return jsonify(
        date=day.isoformat(),
        version=layers.version,
        bounds=layers.bounds,
        zoom_bands=map_boundaries.zoom_bands(),
        basemaps=basemap_choices(current_app.config.get("NTM_BASEMAP", "none")),
        default_criteria_set=current.id if current else None,
        themes=list(map_themes.THEMES),
        **options,
    )


def _bbox() -> tuple[float, float, float, float] | None:
    text = request.args.get("bbox", "").strip()
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise NtmError(
            f"Tham số “bbox” không hợp lệ: {text!r}. Cần bốn số: tây,nam,đông,bắc (độ)."
        ) from None
    if west > east or south > north:
        raise NtmError("Tham số “bbox” phải theo thứ tự tây,nam,đông,bắc (tây < đông, nam < bắc).")
    return west, south, east, north


@bp.get("/boundaries/<int:level>")
def boundaries(level: int):
    """One generalised level, whole or (with ``bbox``) the communes whose box meets the box."""
    layers = map_boundaries.boundary_layers(get_session(), _day())
    if level >= len(layers.levels):
        raise NtmError(f"Không có mức đơn giản hoá {level}; chỉ có 0 đến {len(layers.levels) - 1}.")
    box = _bbox()
    chosen = layers.levels[level]
    return _cached_text(chosen.within(*box) if box else chosen.text)


@bp.get("/outline")
def outline():
    """The province outline of a level (``level``, default 0)."""
    layers = map_boundaries.boundary_layers(get_session(), _day())
    level = _int("level") or 0
    if level >= len(layers.outlines):
        raise NtmError(
            f"Không có mức đơn giản hoá {level}; chỉ có 0 đến {len(layers.outlines) - 1}."
        )
    return _cached_text(layers.outlines[level])


@bp.get("/labels")
def labels():
    layers = map_boundaries.boundary_layers(get_session(), _day())
    body = json.dumps(layers.label_points, separators=(",", ":"))
    return _cached_text(body, "application/json")


@bp.get("/attributes")
def attributes():
    """Every commune's values and every theme's classes for the request's parameters."""
    session = get_session()
    query = map_query()
    rows = map_data.commune_rows(session, query)
    label = sa.func.coalesce(Organisation.short_name, Organisation.name)
    names = {
        row.id: row.label
        for row in session.execute(sa.select(Organisation.id, label.label("label")))
    }
    lang = current_language()
    themes = {
        theme: style_theme(map_themes.classify(rows, theme), lang, names)
        for theme in map_themes.THEMES
    }
    start, end = query.period()
    return jsonify(
        date=query.day.isoformat(),
        period={"from": start.isoformat(), "to": end.isoformat()},
        criteria_set_id=query.criteria_set_id
        or getattr(map_data.criteria_set_on(session, query.day), "id", None),
        communes={r["id"]: r for r in rows},
        themes=themes,
        districts=sorted({d for r in rows for d in r["former_districts"]}),
    )


@bp.get("/activities")
def activities():
    body = map_activities.activities_geojson(get_session(), map_query())
    return Response(body, mimetype="application/geo+json")


@bp.get("/activities/<int:activity_id>")
def activity(activity_id: int):
    return jsonify(map_activities.activity_detail(get_session(), activity_id))


@bp.get("/search")
def search():
    text = request.args.get("q", "")[:100]
    return jsonify(search_communes(get_session(), text, _day()))


@bp.get("/communes/<int:unit_id>")
def commune(unit_id: int):
    day = _day()
    return jsonify(commune_panel(get_session(), unit_id, day, _int("set"), _int("list")))


@bp.post("/communes-in-shape")
def communes_in_shape():
    """The communes a drawn rectangle or polygon (GeoJSON geometry, lon/lat) touches."""
    payload = json_object()
    try:
        shape = shapely.geometry.shape(payload["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        raise InvalidGeometryError(
            "Hình vẽ không đọc được: cần một đối tượng GeoJSON “geometry” kiểu Polygon."
        ) from None
    if not shape.is_valid or shape.is_empty:
        raise InvalidGeometryError("Hình vẽ tự cắt nhau hoặc rỗng; hãy vẽ lại đa giác.")
    day = _day()
    parts = communes_for_geometry(get_session(), shape, day)
    return jsonify(unit_ids=[p.unit_id for p in parts], names=[p.name for p in parts])
