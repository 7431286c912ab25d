"""A commune's history: every recorded change that concerns it."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from geo.errors import UnknownCommuneError
from geo.models import AdminUnit
from services import audit, lineage
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
    "ntm_level": "Mức đạt chuẩn nông thôn mới",
    "organisation": "Đơn vị",
    "admin_unit": "Đơn vị hành chính",
    "user_account": "Tài khoản",
}
ACTION_LABELS = {"create": "Tạo", "update": "Sửa", "delete": "Xoá", "restore": "Khôi phục"}


def _unit(unit_id: int) -> AdminUnit:
    unit = get_session().get(AdminUnit, unit_id)
    if unit is None:
        raise UnknownCommuneError(f"Không có xã, phường mã số {unit_id}.")
    return unit


def _former_units(unit_id: int) -> dict[int, str]:
    """Former units merged into this commune (their history belongs to it): id → name."""
    tree = lineage.predecessors(get_session(), unit_id)
    return {p.unit_id: p.name for p in lineage.flatten(tree)}


def _events(unit_id: int) -> tuple[list, dict[int, str]]:
    former = _former_units(unit_id)
    return audit.history_for_unit(get_session(), unit_id, former_unit_ids=tuple(former)), former


def _event_json(event) -> dict:
    return {
        "id": event.id,
        "unit_id": event.unit_id,
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
    events, former = _events(unit_id)
    return render_template(
        "admin/commune_history.html",
        unit=unit,
        events=events,
        former=former,
        entity_labels=ENTITY_LABELS,
        action_labels=ACTION_LABELS,
        changed_fields=audit.changed_fields,
    )


@bp.get("/api/communes/<int:unit_id>/history")
def commune_history_json(unit_id: int):
    unit = _unit(unit_id)
    events, former = _events(unit_id)
    return jsonify(
        unit_id=unit.id,
        name=unit.name,
        former_units=[{"unit_id": i, "name": n} for i, n in former.items()],
        events=[_event_json(e) for e in events],
    )
