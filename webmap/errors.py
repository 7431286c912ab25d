"""The one place where errors become responses: JSON under /api/ and /tiles/, a page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from geo.errors import NtmError
from webmap.db import get_session
from webmap.i18n import current_language, t

log = logging.getLogger(__name__)

#: messages for werkzeug's own errors (whose descriptions are English)
HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ. Hãy kiểm tra dữ liệu đã nhập rồi thử lại.", "Bad request."),
    405: ("Trang này không nhận thao tác đó.", "Method not allowed."),
    413: (
        "Tệp hoặc dữ liệu gửi lên quá lớn. Hãy chia nhỏ hoặc nén bớt rồi thử lại.",
        "The upload is too large.",
    ),
    429: ("Quá nhiều yêu cầu. Vui lòng chờ ít phút rồi thử lại.", "Too many requests."),
    500: (
        "Có lỗi ngoài dự kiến; lỗi đã được ghi lại. Vui lòng thử lại, nếu vẫn lỗi hãy báo "
        "quản trị hệ thống.",
        "Unexpected error; it has been logged. Please try again.",
    ),
}
BAD_VALUE = (
    "Dữ liệu không lưu được: có giá trị quá dài, trùng lặp hoặc không hợp lệ. Hãy kiểm tra rồi "
    "thử lại.",
    "The data could not be saved: a value is too long, duplicated or invalid.",
)
LOST_RACE = (
    "Dữ liệu này vừa được người khác sửa cùng lúc với bạn; thay đổi của bạn chưa được lưu. "
    "Hãy tải lại để xem bản mới nhất rồi sửa tiếp.",
    "Someone else changed this at the same moment; your change was not saved. Reload to see "
    "the newest version, then edit again.",
)
NUMBER_TOO_LARGE = ("Một số trong yêu cầu quá lớn.", "A number in the request is too large.")


def _text(pair: tuple[str, str]) -> str:
    return pair[1] if current_language() == "en" else pair[0]


#: machine-read paths: their errors are JSON
JSON_PREFIXES = ("/api/", "/tiles/")


def _respond(status: int, message: str, details: list | None = None):
    if request.path.startswith(JSON_PREFIXES):
        return jsonify(error=message, details=details or []), status
    return render_template("error.html", message=message, details=details or []), status


def _werkzeug_default(exc: HTTPException) -> bool:
    """The error is werkzeug's own, with its English default description."""
    cls = type(exc)
    return cls.__module__ == "werkzeug.exceptions" and exc.description == cls.description


def init_app(app: Flask) -> None:
    @app.errorhandler(NtmError)
    def ntm_error(exc: NtmError):
        log.info("refused: %s", exc)
        return _respond(int(exc.http_status), exc.user_msg, exc.details)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        # bad data is the user's to fix; anything else means the database is unreachable
        if isinstance(exc, IntegrityError | DataError) and not exc.connection_invalidated:
            log.info("database refused the data: %s", exc)
            return _respond(422, _text(BAD_VALUE))
        log.error("database error: %s", exc)
        return _respond(503, t("error_retry"))

    @app.errorhandler(StaleDataError)
    def lost_race(exc: StaleDataError):
        # two writers read the same version; the database let only the first UPDATE through
        log.info("concurrent update refused: %s", exc)
        get_session().rollback()
        return _respond(409, _text(LOST_RACE))

    @app.errorhandler(OverflowError)
    def number_too_large(exc: OverflowError):
        log.info("number too large: %s", exc)
        return _respond(400, _text(NUMBER_TOO_LARGE))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code == 404:
            message = t("not_found")
        elif code in HTTP_MESSAGES and _werkzeug_default(exc):
            message = _text(HTTP_MESSAGES[code])
        else:
            message = exc.description or exc.name
        return _respond(code, message)
