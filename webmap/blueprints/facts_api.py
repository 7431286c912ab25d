"""JSON API for single corrections from the planner map's commune panel: a criterion
assessment, a classification flag, an NTM level; and one criterion's assessment history.

Reads are open to signed-in users; writes are for planners (``*assessment*``,
``*classification*``, ``*ntm_level*`` in ``webmap.auth.PERMISSIONS``). Writes go through
``services.facts``: a correction is a new row, the old ones stay as history, every write is
audited. A refused value answers 422 with a Vietnamese message naming the field. Dates are
``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request

from geo.models import Classification, CriterionAssessment, NtmLevel
from services import facts
from services.fact_records import FactError, get_commune
from webmap.db import get_session
from webmap.identity import current_user_name
from webmap.request_body import json_object

bp = Blueprint("facts_api", __name__, url_prefix="/api/communes")

TEXT_MAX_CHARS = 2000
#: the Vietnamese name of each field, for messages
LABELS = {
    "criterion_id": "tiêu chí",
    "status": "kết quả",
    "assessed_on": "ngày đánh giá",
    "source": "nguồn",
    "note": "ghi chú",
    "flag": "loại phân loại",
    "value": "giá trị",
    "period_from": "từ ngày",
    "period_to": "đến ngày",
    "legal_basis": "căn cứ pháp lý",
    "rule": "quy tắc",
    "year": "năm",
    "level": "mức",
    "target_level": "mức mục tiêu",
    "target_year": "năm mục tiêu",
}
#: service field names that are not the JSON field's name
FIELD_OF = {"criterion": "criterion_id"}


def _named(field: str) -> str:
    return f"“{field}” ({LABELS.get(field, field)})"


def _body() -> dict:
    body = json_object() if request.is_json else None
    if body is None:
        raise FactError("Nội dung gửi lên phải là một đối tượng JSON.", "body")
    return body


def _text(body: dict, name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FactError(f"Thiếu trường {_named(name)}.", name)
        return None
    if not isinstance(value, str):
        raise FactError(f"Trường {_named(name)} phải là chữ.", name)
    if len(value) > TEXT_MAX_CHARS:
        raise FactError(f"Trường {_named(name)} dài quá {TEXT_MAX_CHARS} ký tự.", name)
    if "\x00" in value:
        raise FactError(f"Trường {_named(name)} chứa ký tự rỗng (NUL): hãy xoá ký tự đó.", name)
    return value.strip()


def _date(body: dict, name: str, required: bool = True) -> dt.date | None:
    raw = body.get(name)
    if raw in (None, ""):
        if required:
            raise FactError(f"Thiếu trường {_named(name)}, dạng YYYY-MM-DD.", name)
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise FactError(
            f"Trường {_named(name)} phải là ngày dạng YYYY-MM-DD (nhận được “{raw}”).", name
        ) from None


def _needed(value, name: str):
    """``value``, which a required field always has once checked (for the type checker too)."""
    if value is None:  # pragma: no cover - the readers above raise first
        raise FactError(f"Thiếu trường {_named(name)}.", name)
    return value


def _int(body: dict, name: str, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise FactError(f"Trường {_named(name)} phải là số nguyên dương.", name)
    return value


def _save(write):
    """Run a service write; a refusal names the field in its message."""
    session = get_session()
    try:
        row = write(session)
    except FactError as exc:
        session.rollback()
        field = FIELD_OF.get(exc.field or "", exc.field)
        if field in LABELS:  # the commune is in the URL, not a field: its message stands alone
            raise FactError(f"Trường {_named(field)}: {exc.user_msg}", field) from None
        raise
    session.commit()
    return row


def _assessment_json(row: CriterionAssessment) -> dict:
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "criterion_id": row.criterion_id,
        "status": row.status,
        "assessed_on": row.assessed_on.isoformat(),
        "source": row.source,
        "note": row.note,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat() if row.recorded_at else None,
    }


def _classification_json(row: Classification) -> dict:
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "flag": row.flag,
        "value": row.value,
        "period_from": row.period_from.isoformat(),
        "period_to": row.period_to.isoformat() if row.period_to else None,
        "legal_basis": row.legal_basis,
        "source": row.source,
        "rule": row.rule,
        "recorded_by": row.recorded_by,
    }


def _level_json(row: NtmLevel) -> dict:
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "year": row.year,
        "level": row.level,
        "target_level": row.target_level,
        "target_year": row.target_year,
        "source": row.source,
        "recorded_by": row.recorded_by,
    }


@bp.post("/<int:unit_id>/assessments")
def record_assessment(unit_id: int):
    """Correct one criterion: ``criterion_id``, ``status``, ``assessed_on``, ``source``, ``note``."""
    body = _body()
    criterion_id: int = _needed(_int(body, "criterion_id"), "criterion_id")
    status: str = _needed(_text(body, "status", required=True), "status")
    assessed_on: dt.date = _needed(_date(body, "assessed_on"), "assessed_on")
    source, note = _text(body, "source"), _text(body, "note")
    row = _save(
        lambda s: facts.record_assessment(
            s, unit_id, criterion_id, status, assessed_on,
            by=current_user_name(), source=source, note=note,
        )
    )  # fmt: skip
    return jsonify(_assessment_json(row)), 201


@bp.get("/<int:unit_id>/assessments/<int:criterion_id>/history")
def assessment_history(unit_id: int, criterion_id: int):
    """Every assessment of the commune on the criterion, newest first."""
    session = get_session()
    get_commune(session, unit_id)
    rows = facts.assessment_history(session, unit_id, criterion_id)
    return jsonify([_assessment_json(r) for r in rows])


@bp.post("/<int:unit_id>/classifications")
def record_classification(unit_id: int):
    """Correct one flag: ``flag``, ``value`` (null: unknown), ``period_from``, ``period_to``,
    ``legal_basis``, ``source``, ``rule``."""
    body = _body()
    flag = _text(body, "flag", required=True)
    value = body.get("value")
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif value is not None:
        value = _text(body, "value")
    period_from: dt.date = _needed(_date(body, "period_from"), "period_from")
    period_to = _date(body, "period_to", required=False)
    legal_basis, source, rule = (_text(body, key) for key in ("legal_basis", "source", "rule"))
    row = _save(
        lambda s: facts.record_classification(
            s, unit_id, _needed(flag, "flag"), value, period_from, period_to,
            by=current_user_name(), legal_basis=legal_basis, source=source, rule=rule,
        )
    )  # fmt: skip
    return jsonify(_classification_json(row)), 201


@bp.post("/<int:unit_id>/ntm-levels")
def record_ntm_level(unit_id: int):
    """Correct a year's NTM level: ``year``, ``level``, ``target_level``, ``target_year``, ``source``."""
    body = _body()
    year: int = _needed(_int(body, "year"), "year")
    level: str = _needed(_text(body, "level", required=True), "level")
    target_level, source = _text(body, "target_level"), _text(body, "source")
    target_year = _int(body, "target_year", required=False)
    row = _save(
        lambda s: facts.record_ntm_level(
            s, unit_id, year, level, by=current_user_name(),
            target_level=target_level, target_year=target_year, source=source,
        )
    )  # fmt: skip
    return jsonify(_level_json(row)), 201
