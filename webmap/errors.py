"""The one place where errors become responses: JSON under /api/, a page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from geo.errors import NtmError
from webmap.i18n import t

log = logging.getLogger(__name__)


def _respond(status: int, message: str, details: list | None = None):
    if request.path.startswith("/api/"):
        return jsonify(error=message, details=details or []), status
    return render_template("error.html", message=message, details=details or []), status


def init_app(app: Flask) -> None:
    @app.errorhandler(NtmError)
    def ntm_error(exc: NtmError):
        log.info("refused: %s", exc)
        return _respond(int(exc.http_status), exc.user_msg, exc.details)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_down(exc: Exception):
        log.error("database error: %s", exc)
        return _respond(503, t("error_retry"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = t("not_found") if exc.code == 404 else (exc.description or exc.name)
        return _respond(exc.code or 500, message)
