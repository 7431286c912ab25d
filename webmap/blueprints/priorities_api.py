"""JSON API of priority lists: routes parse, call ``services.priorities``, respond.

A single list is always answered in one shape (``list_json``): the list's fields,
its ``version`` (send it back with the next change; a stale one gets 409) and its
``items``. Dates are ``YYYY-MM-DD``; times are UTC in ISO 8601 with ``Z``.
Errors come from ``webmap.errors`` as ``{error, details}``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from geo.errors import NtmError
from services import priorities, priority_export
from services.priorities import UNCHANGED
from webmap.db import get_session
from webmap.identity import current_user_name
from webmap.request_body import json_object, sent_version, with_etag

bp = Blueprint("priorities_api", __name__, url_prefix="/api/priority-lists")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EDITABLE_FIELDS = ("name", "period_from", "period_to", "note")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def summary_json(s: priorities.ListSummary) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "period_from": _date(s.period_from),
        "period_to": _date(s.period_to),
        "note": s.note,
        "version": s.version,
        "item_count": s.item_count,
    }


def list_json(session: Session, list_id: int) -> dict:
    """A list with its communes: the one shape every single-list answer uses."""
    plist = priorities.get_list(session, list_id)
    items = [
        {
            "unit_id": item.unit_id,
            "name": item.name,
            "code": item.code,
            "added_by": item.added_by,
            "added_at": _time(item.added_at),
            "reason": item.reason,
        }
        for item in priorities.items(session, list_id)
    ]
    return {
        "id": plist.id,
        "name": plist.name,
        "period_from": _date(plist.period_from),
        "period_to": _date(plist.period_to),
        "note": plist.note,
        "version": plist.version,
        "items": items,
    }


def _body() -> dict:
    body = json_object() if request.is_json else None
    if body is None:
        raise NtmError(
            "Nội dung gửi lên phải là một đối tượng JSON (Content-Type: application/json), "
            'ví dụ {"name": "…", "version": 1}.'
        )
    return body


def _saved(session: Session, list_id: int, status: int = 200, **extra):
    """Commit, then answer with the list (wrapped as ``{"list": …, **extra}`` when extra)."""
    session.commit()
    body = list_json(session, list_id)
    response = jsonify({"list": body, **extra} if extra else body)
    return with_etag(response, body["version"]), status


@bp.get("")
def index():
    return jsonify([summary_json(s) for s in priorities.all_lists(get_session())])


@bp.post("")
def create():
    body, session = _body(), get_session()
    fields = {key: body.get(key) for key in EDITABLE_FIELDS}
    plist = priorities.create_list(session, by=current_user_name(), **fields)
    return _saved(session, plist.id, 201)


@bp.get("/<int:list_id>")
def show(list_id: int):
    return jsonify(list_json(get_session(), list_id))


@bp.patch("/<int:list_id>")
def update(list_id: int):
    body, session = _body(), get_session()
    fields = {key: body.get(key, UNCHANGED) for key in EDITABLE_FIELDS}
    priorities.update_list(
        session, list_id, version=sent_version(body), by=current_user_name(), **fields
    )
    return _saved(session, list_id)


@bp.delete("/<int:list_id>")
def delete(list_id: int):
    session = get_session()
    version = request.args.get("version", type=int)
    priorities.delete_list(session, list_id, version=version, by=current_user_name())
    session.commit()
    return "", 204


@bp.post("/<int:list_id>/restore")
def restore(list_id: int):
    body, session = _body(), get_session()
    priorities.restore_list(session, list_id, version=body.get("version"), by=current_user_name())
    return _saved(session, list_id)


def _change_items(change, list_id: int):
    """Run ``add_communes`` or ``remove_communes`` with the JSON body's ids, version, reason."""
    body, session = _body(), get_session()
    result = change(
        session,
        list_id,
        body.get("unit_ids"),
        version=sent_version(body),
        by=current_user_name(),
        reason=body.get("reason"),
    )
    return session, result


@bp.post("/<int:list_id>/items")
def add_items(list_id: int):
    session, result = _change_items(priorities.add_communes, list_id)
    return _saved(session, list_id, added=result.added, skipped=result.skipped)


@bp.post("/<int:list_id>/items/remove")
def remove_items(list_id: int):
    session, removed = _change_items(priorities.remove_communes, list_id)
    return _saved(session, list_id, removed=removed)


@bp.get("/<int:list_id>/history")
def history(list_id: int):
    entries = priorities.history(get_session(), list_id)
    return jsonify(
        [
            {
                "unit_id": e.unit_id,
                "name": e.name,
                "action": e.action,
                "by": e.by,
                "at": _time(e.at),
                "reason": e.reason,
            }
            for e in entries
        ]
    )


@bp.get("/<int:list_id>/compare/<int:other_id>")
def compare(list_id: int, other_id: int):
    diff = priorities.compare(get_session(), list_id, other_id)

    def refs(units):
        return [{"unit_id": u.unit_id, "name": u.name} for u in units]

    return jsonify(added=refs(diff.added), removed=refs(diff.removed))


def ascii_slug(text: str, max_chars: int = 60) -> str:
    """``Xã ưu tiên Đông Hà`` → ``xa-uu-tien-dong-ha``: safe in any header or file system."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_chars].strip("-")


def content_disposition(list_id: int, name: str, extension: str) -> str:
    """An attachment header with an ASCII filename and the Vietnamese one (RFC 5987)."""
    slug = ascii_slug(name)
    fallback = f"danh-sach-uu-tien-{list_id}" + (f"-{slug}" if slug else "")
    readable = re.sub(r"[\x00-\x1f\x7f]+", "", f"Danh sách ưu tiên - {name}")
    readable = re.sub(r"[/\\]", "-", readable)[:150]
    return (
        f'attachment; filename="{fallback}.{extension}"; '
        f"filename*=UTF-8''{quote(readable.strip() + '.' + extension, safe='')}"
    )


def _download(list_id: int, data: bytes, mimetype: str, extension: str) -> Response:
    name = priorities.get_list(get_session(), list_id).name
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(list_id, name, extension)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:list_id>/export.xlsx")
def export_xlsx(list_id: int):
    data = priority_export.to_xlsx(get_session(), list_id)
    return _download(list_id, data, XLSX_MIMETYPE, "xlsx")


@bp.get("/<int:list_id>/export.csv")
def export_csv(list_id: int):
    data = priority_export.to_csv(get_session(), list_id)
    return _download(list_id, data, "text/csv; charset=utf-8", "csv")
