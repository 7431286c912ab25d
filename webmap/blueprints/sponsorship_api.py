"""JSON API to assign and end sponsorships (đỡ đầu) from the planner map.

Reads are open to signed-in users; writes are for planners (``*sponsor*`` in
``webmap.auth.PERMISSIONS``). Writes go through ``services.facts``, which keeps the
ended rows as history and audits every change. Dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, overload

from flask import Blueprint, jsonify, request

from geo.errors import NtmError
from geo.models import Sponsorship
from services import facts
from webmap.db import get_session
from webmap.identity import current_user_name
from webmap.request_body import json_object, sent_version, with_etag

bp = Blueprint("sponsorship_api", __name__, url_prefix="/api/sponsorships")

NOTE_MAX_CHARS = 2000


def _sponsorship_json(row: Sponsorship) -> dict:
    department = row.department
    return {
        "id": row.id,
        "department_id": row.department_id,
        "department": department.short_name or department.name if department else None,
        "unit_id": row.unit_id,
        "unit": row.unit.name if row.unit else None,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "note": row.note,
        "recorded_by": row.recorded_by,
        "ended_by": row.ended_by,
        "version": row.version,
    }


def _body() -> dict:
    body = json_object() if request.is_json else None
    if body is None:
        raise NtmError("Nội dung gửi lên phải là một đối tượng JSON.")
    return body


@overload
def _date(body: dict, name: str, label: str, required: Literal[True] = True) -> dt.date: ...


@overload
def _date(body: dict, name: str, label: str, required: bool) -> dt.date | None: ...


def _date(body: dict, name: str, label: str, required: bool = True) -> dt.date | None:
    raw = body.get(name)
    if raw in (None, ""):
        if required:
            raise NtmError(f"Thiếu {label} (trường “{name}”, dạng YYYY-MM-DD).")
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise NtmError(
            f"{label.capitalize()} phải là ngày dạng YYYY-MM-DD (nhận được “{raw}”)."
        ) from None


def _id(body: dict, name: str, label: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise NtmError(f"Trường “{name}” ({label}) phải là số nguyên dương.")
    return value


def _query_day() -> dt.date:
    raw = request.args.get("day", "")
    if not raw:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise NtmError(f"Tham số “day” phải là ngày dạng YYYY-MM-DD (nhận được “{raw}”).") from None


@bp.get("")
def index():
    """Sponsorships in force on ``day`` (default today)."""
    rows = facts.sponsorships_on(get_session(), _query_day())
    return jsonify([_sponsorship_json(r) for r in rows])


@bp.get("/commune/<int:unit_id>")
def commune_history(unit_id: int):
    """Every sponsorship of a commune, ended ones included, newest first."""
    return jsonify(
        [_sponsorship_json(r) for r in facts.sponsorship_history(get_session(), unit_id)]
    )


@bp.post("")
def start():
    """Start a sponsorship: ``department_id``, ``unit_id``, ``valid_from``, ``valid_to``, ``note``."""
    body = _body()
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise NtmError("Trường “note” (ghi chú) phải là chữ.")
    if note and len(note) > NOTE_MAX_CHARS:
        raise NtmError(f"Ghi chú dài quá {NOTE_MAX_CHARS} ký tự (có {len(note)} ký tự).")
    if note and "\x00" in note:
        raise NtmError("Ghi chú chứa ký tự rỗng (NUL), không lưu được: hãy xoá ký tự đó.")
    session = get_session()
    row = facts.start_sponsorship(
        session,
        _id(body, "department_id", "sở, ngành đỡ đầu"),
        _id(body, "unit_id", "xã"),
        _date(body, "valid_from", "ngày bắt đầu"),
        _date(body, "valid_to", "ngày kết thúc", required=False),
        by=current_user_name(),
        note=(note or "").strip() or None,
        source=body.get("source") if isinstance(body.get("source"), str) else None,
    )
    session.commit()
    return jsonify(_sponsorship_json(row)), 201


@bp.post("/<int:sponsorship_id>/end")
def end(sponsorship_id: int):
    """End a sponsorship on ``valid_to`` (the first day without it); ``version`` as seen."""
    body = _body()
    version = sent_version(body)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise NtmError("Trường “version” phải là số nguyên.")
    session = get_session()
    row = facts.end_sponsorship(
        session,
        sponsorship_id,
        _date(body, "valid_to", "ngày kết thúc"),
        by=current_user_name(),
        version=version,
    )
    session.commit()
    return with_etag(jsonify(_sponsorship_json(row)), row.version)
