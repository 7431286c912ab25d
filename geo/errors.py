"""Typed errors. Each carries a message for the user (Vietnamese, says what to
fix) apart from the message for the log, and the HTTP status it means.
The web layer turns them into responses in one place."""

from __future__ import annotations

from http import HTTPStatus


class NtmError(Exception):
    http_status = HTTPStatus.BAD_REQUEST

    def __init__(self, user_msg: str, msg: str | None = None, *, details: list | None = None):
        super().__init__(msg or user_msg)
        self.user_msg = user_msg
        self.details = details or []


class SourceError(NtmError):
    """A data source cannot be found, fetched or verified."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class ImportValidationError(NtmError):
    """An import was refused; ``details`` lists every problem by row or feature."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class InvalidGeometryError(NtmError):
    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class CrsError(NtmError):
    """The coordinates do not fit the declared or detected reference system."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY


class UnknownCommuneError(NtmError):
    http_status = HTTPStatus.NOT_FOUND


class NotFoundError(NtmError):
    http_status = HTTPStatus.NOT_FOUND


class ConflictError(NtmError):
    """Somebody else saved the record first."""

    http_status = HTTPStatus.CONFLICT
