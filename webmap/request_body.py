"""The JSON body of a request, read once and strictly.

Werkzeug's ``get_json`` lets a body that is not an object (``[1]``, ``"s"``) through to the
views, accepts ``NaN`` and ``Infinity``, and fails with a RecursionError (a 500) on a body
nested thousands of levels deep. Here each of these is a 400 that names the problem.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import g, request

from services.fields import MAX_ID, FieldError, parse_int

BODY = "nội dung yêu cầu"


class BodyError(FieldError):
    """The body as a whole is not a JSON object: a malformed request (400)."""

    http_status = HTTPStatus.BAD_REQUEST


def _no_constant(name: str):
    raise ValueError(f"{name} không phải là một số JSON hợp lệ")


def json_object() -> dict:
    """The body as a JSON object; ``{}`` when the request carries no JSON body."""
    if "json_body" in g:
        return g.json_body
    if not request.is_json:
        return {}
    raw = request.get_data(cache=True)
    if not raw.strip():
        g.json_body = {}
        return g.json_body
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(BODY, "lồng nhau quá sâu.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(BODY, f"phải là một đối tượng JSON hợp lệ ({exc}).") from None
    if not isinstance(body, dict):
        raise BodyError(BODY, "phải là một đối tượng JSON ({…}).")
    g.json_body = body
    return body


def form_or_json() -> dict:
    """The JSON object of a JSON request, else the posted form as a dict."""
    return json_object() if request.is_json else request.form.to_dict()


def if_match_version() -> int | None:
    """The version an ``If-Match: "7"`` header names (the ETag the JSON API sent), or None."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    return parse_int(tag, "If-Match", 1, MAX_ID)


def sent_version(body: dict) -> object:
    """The version the client saw: ``If-Match`` when sent, else the body's ``version``."""
    from_header = if_match_version()
    return from_header if from_header is not None else body.get("version")


def with_etag(response, version: int):
    """``response`` carrying the record's version as its ETag (for ``If-Match``)."""
    response.set_etag(str(version))
    return response
