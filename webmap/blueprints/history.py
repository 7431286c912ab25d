"""A commune's history: every recorded change that concerns it."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from geo.errors import UnknownCommuneError
from geo.models import AdminUnit
from services import audit
from webmap.db import get_session

bp = Blueprint("history", __name__)

ENTITY_LABELS = {
    "priority_list": "Danh sách ưu tiên",
    "priority_list_item": "Xã trong danh sách ưu tiên",
    "sponsorship": "Đỡ đầu",
    "classification": "Phân loại",
    "assessment": "Đánh giá tiêu chí",
    "criterion_assessment": "Đánh giá tiêu chí",
    "activity": "Hoạt động",
    "commune_note": "Ghi chú của xã",
}
ACTION_LABELS = {"create": "Tạo", "update": "Sửa", "delete": "Xoá", "restore": "Khôi phục"}


def _unit(unit_id: int) -> AdminUnit:
    unit = get_session().get(AdminUnit, unit_id)
    if unit is None:
        raise UnknownCommuneError(f"Không có xã, phường mã số {unit_id}.")
    return unit


def _event_json(event) -> dict:
    return {
        "id": event.id,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "action": event.action,
        "by": event.by,
        "at": event.at.isoformat(timespec="seconds"),
        "changed": audit.changed_fields(event.before, event.after),
        "before": event.before,
        "after": event.after,
    }


@bp.get("/communes/<int:unit_id>/history")
def commune_history(unit_id: int):
    unit = _unit(unit_id)
    events = audit.history_for_unit(get_session(), unit_id)
    return render_template(
        "admin/commune_history.html",
        unit=unit,
        events=events,
        entity_labels=ENTITY_LABELS,
        action_labels=ACTION_LABELS,
        changed_fields=audit.changed_fields,
    )


@bp.get("/api/communes/<int:unit_id>/history")
def commune_history_json(unit_id: int):
    unit = _unit(unit_id)
    events = audit.history_for_unit(get_session(), unit_id)
    return jsonify(unit_id=unit.id, name=unit.name, events=[_event_json(e) for e in events])
