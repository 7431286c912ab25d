"""``GET /api/openapi.json``: the OpenAPI document of the JSON API (``webmap.openapi``)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from webmap import openapi

bp = Blueprint("openapi", __name__)


@bp.get("/api/openapi.json")
def document():
    return jsonify(openapi.document())
