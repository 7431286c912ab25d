"""One log line per request on stdout: method, path, status, duration, user, database.

    2026-12-05 05:10:00,123 INFO ntm.request method=GET path=/api/map/config status=200
        ms=41.7 user=planner1 db=replica1

Secrets never reach the log: query parameters whose name says token, key, secret, password or
signature are written as ``***``, and so is any long random-looking path segment (a calendar
feed token in a path, say).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from urllib.parse import parse_qsl, quote, urlencode

from flask import Flask, Response, g, request, session

from webmap.db import database_used

log = logging.getLogger("ntm.request")
SECRET_PARAM = re.compile(r"token|key|secret|passw|sig|auth", re.IGNORECASE)
#: 20+ URL-safe characters mixing letters and digits: a token, not a word or an id
SECRET_SEGMENT = re.compile(r"^(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}$")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Log lines of the app (``ntm.*``, ``webmap.*``, ``services.*``, ``geo.*``) to stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("ntm", "webmap", "services", "geo"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)


def redacted_path(path: str, query: bytes | str) -> str:
    """``path`` and query string with every secret-looking value replaced by ``***``."""
    segments = ["***" if SECRET_SEGMENT.match(s) else s for s in path.split("/")]
    text = quote("/".join(segments), safe="/*-._~@:+,;=")
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    if query:
        pairs = [
            (k, "***" if SECRET_PARAM.search(k) else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        text += "?" + urlencode(pairs, safe="*,")
    return text


def _user() -> str:
    user = g.get("current_user")
    if user is not None:
        return user.username
    user_id = session.get("user_id") if session else None
    return f"id:{user_id}" if user_id is not None else "-"


def _start() -> None:
    g.request_started = time.perf_counter()


def _log(response: Response) -> Response:
    started = g.get("request_started")
    ms = (time.perf_counter() - started) * 1000 if started else 0.0
    log.info(
        "method=%s path=%s status=%d ms=%.1f user=%s db=%s",
        request.method,
        redacted_path(request.path, request.query_string),
        response.status_code,
        ms,
        _user(),
        database_used() or "-",
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_log)
