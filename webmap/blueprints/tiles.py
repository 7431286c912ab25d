"""Vector tiles of the communes: ``/tiles/communes.json`` (TileJSON) and
``/tiles/communes/{z}/{x}/{y}.mvt``, for the planner map and for any MVT client.

The tile URL carries the boundary version (``?v=``): a tile of the current version never
changes, so it is sent with a long ``immutable`` cache lifetime and an ETag that a reverse proxy
can hold; a request without the version (or with an old one) gets the current tile with a short
lifetime.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from services import vector_tiles
from webmap.blueprints.map_api import _day
from webmap.db import get_session

bp = Blueprint("tiles", __name__, url_prefix="/tiles")

MVT_MIMETYPE = "application/vnd.mapbox-vector-tile"
YEAR_S = 365 * 24 * 3600


@bp.get("/communes.json")
def communes_tilejson():
    build = vector_tiles.ensure_build(get_session(), _day())
    template = url_for("tiles.communes_tile", z=0, x=0, y=0, _external=True)
    template = template.replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt") + f"?v={build.version}"
    response = jsonify(vector_tiles.tilejson(build, template))
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


@bp.get("/communes/<int:z>/<int:x>/<int:y>.mvt")
def communes_tile(z: int, x: int, y: int):
    session = get_session()
    vector_tiles.check_address(z, x, y)
    build = vector_tiles.ensure_build(session, _day())
    data = vector_tiles.tile(session, build, z, x, y)
    response = Response(data, mimetype=MVT_MIMETYPE)
    response.set_etag(f"{build.version}-{z}-{x}-{y}")
    response.cache_control.public = True
    if request.args.get("v") == build.version:
        response.cache_control.max_age = YEAR_S
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = 300
    response.headers["X-Boundary-Version"] = build.version
    return response.make_conditional(request)
