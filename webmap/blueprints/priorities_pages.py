"""Priority lists as plain server-rendered pages: usable without JavaScript.

Lists with their commune counts, one list's communes, history, a comparison
with another list and export links; forms add, remove, edit and delete
(each carries the list's ``version``, so a stale form is refused with 409).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services import priorities
from services.activity_input import parse_date
from services.fields import is_digits
from services.priority_export import local_time
from webmap.db import get_session
from webmap.i18n import current_language
from webmap.identity import current_user_name

bp = Blueprint("priorities_pages", __name__, url_prefix="/priority-lists")

TEXT: dict[str, dict[str, str]] = {
    "title": {"vi": "Danh sách xã ưu tiên", "en": "Priority commune lists"},
    "none_yet": {"vi": "Chưa có danh sách nào.", "en": "No list yet."},
    "name": {"vi": "Tên danh sách", "en": "List name"},
    "period": {"vi": "Kỳ", "en": "Period"},
    "from": {"vi": "Từ ngày", "en": "From"},
    "to": {"vi": "Đến ngày", "en": "To"},
    "note": {"vi": "Ghi chú", "en": "Note"},
    "count": {"vi": "Số xã", "en": "Communes"},
    "version": {"vi": "Phiên bản", "en": "Version"},
    "create": {"vi": "Tạo danh sách mới", "en": "Create a new list"},
    "save": {"vi": "Lưu", "en": "Save"},
    "edit": {"vi": "Sửa tên, kỳ, ghi chú", "en": "Edit name, period, note"},
    "communes": {"vi": "Các xã trong danh sách", "en": "Communes in the list"},
    "empty_list": {"vi": "Danh sách chưa có xã nào.", "en": "The list has no commune yet."},
    "no": {"vi": "STT", "en": "No."},
    "code": {"vi": "Mã xã", "en": "Code"},
    "commune": {"vi": "Tên xã", "en": "Commune"},
    "added_by": {"vi": "Người thêm", "en": "Added by"},
    "added_at": {"vi": "Thời điểm thêm", "en": "Added at"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "add": {"vi": "Thêm xã", "en": "Add communes"},
    "remove": {"vi": "Bớt các xã đã chọn", "en": "Remove the selected communes"},
    "history": {"vi": "Lịch sử thêm, bớt", "en": "History of additions and removals"},
    "no_history": {"vi": "Chưa có thay đổi nào.", "en": "No change yet."},
    "action": {"vi": "Thao tác", "en": "Action"},
    "by": {"vi": "Người thực hiện", "en": "By"},
    "at": {"vi": "Thời điểm", "en": "When"},
    "add_action": {"vi": "Thêm", "en": "Added"},
    "remove_action": {"vi": "Bớt", "en": "Removed"},
    "compare": {"vi": "So sánh với danh sách khác", "en": "Compare with another list"},
    "compare_go": {"vi": "So sánh", "en": "Compare"},
    "added_vs": {"vi": "Có trong danh sách này, không có trong", "en": "In this list, not in"},
    "removed_vs": {"vi": "Có trong", "en": "In"},
    "removed_vs_end": {"vi": ", không có trong danh sách này", "en": ", not in this list"},
    "nothing": {"vi": "Không có xã nào.", "en": "None."},
    "export": {"vi": "Xuất", "en": "Export"},
    "on_map": {"vi": "Xem trên bản đồ", "en": "Show on the map"},
    "delete": {"vi": "Xoá danh sách", "en": "Delete the list"},
    "deleted_lists": {"vi": "Danh sách đã xoá", "en": "Deleted lists"},
    "restore": {"vi": "Khôi phục", "en": "Restore"},
    "restored_msg": {"vi": "Đã khôi phục danh sách “{name}”.", "en": "Restored the list “{name}”."},
    "back": {"vi": "Tất cả danh sách", "en": "All lists"},
    "time_zone": {"vi": "giờ Việt Nam", "en": "Vietnam time"},
    "added_msg": {
        "vi": "Đã thêm {added} xã; bỏ qua {skipped} xã đã có.",
        "en": "Added {added}; skipped {skipped} already listed.",
    },
    "removed_msg": {"vi": "Đã bớt {removed} xã.", "en": "Removed {removed}."},
    "saved_msg": {"vi": "Đã lưu.", "en": "Saved."},
    "deleted_msg": {"vi": "Đã xoá danh sách “{name}”.", "en": "Deleted the list “{name}”."},
}


def tr(key: str) -> str:
    return TEXT[key][current_language()]


def _render(template: str, **context):
    return render_template(
        template, tr=tr, local_time=local_time, period_text=priorities.period_text, **context
    )


def _form_ids() -> list:
    """Selected unit ids; anything not a number is passed on for the service to refuse."""
    values = request.form.getlist("unit_ids")
    return [int(v) if is_digits(v.strip()) else v for v in values]


def _form_version() -> int | None:
    return request.form.get("version", type=int)


@bp.get("")
def index():
    session = get_session()
    return _render(
        "priorities/index.html",
        lists=priorities.all_lists(session),
        deleted=priorities.all_lists(session, deleted=True),
    )


def _list_fields() -> dict:
    """The list's fields from the form; dates typed dd/mm/yyyy (sent so without JavaScript)
    become ISO, which the service reads; text that is no date goes on for it to refuse."""
    fields = {k: request.form.get(k) for k in ("name", "period_from", "period_to", "note")}
    for key in ("period_from", "period_to"):
        try:
            day = parse_date(fields[key])
        except ValueError:
            continue
        fields[key] = day.isoformat() if day else fields[key]
    return fields


@bp.post("")
def create():
    session = get_session()
    fields = _list_fields()
    plist = priorities.create_list(session, by=current_user_name(), **fields)
    session.commit()
    return redirect(url_for(".show", list_id=plist.id), 303)


@bp.get("/<int:list_id>")
def show(list_id: int):
    session = get_session()
    plist = priorities.get_list(session, list_id)
    others = [s for s in priorities.all_lists(session) if s.id != list_id]
    other_id = request.args.get("compare", type=int)
    other = next((s for s in others if s.id == other_id), None)
    return _render(
        "priorities/detail.html",
        plist=plist,
        items=priorities.items(session, list_id),
        history=priorities.history(session, list_id),
        addable=priorities.addable_communes(session, list_id),
        others=others,
        other=other,
        diff=priorities.compare(session, list_id, other.id) if other else None,
    )


@bp.post("/<int:list_id>/edit")
def edit(list_id: int):
    session = get_session()
    fields = _list_fields()
    priorities.update_list(
        session, list_id, version=_form_version(), by=current_user_name(), **fields
    )
    session.commit()
    flash(tr("saved_msg"))
    return redirect(url_for(".show", list_id=list_id), 303)


def _change_items(change, list_id: int):
    """Run ``add_communes`` or ``remove_communes`` with the form's ids, version and reason."""
    session = get_session()
    result = change(
        session,
        list_id,
        _form_ids(),
        version=_form_version(),
        by=current_user_name(),
        reason=request.form.get("reason"),
    )
    session.commit()
    return result


@bp.post("/<int:list_id>/items")
def add_items(list_id: int):
    result = _change_items(priorities.add_communes, list_id)
    flash(tr("added_msg").format(added=len(result.added), skipped=len(result.skipped)))
    return redirect(url_for(".show", list_id=list_id), 303)


@bp.post("/<int:list_id>/items/remove")
def remove_items(list_id: int):
    removed = _change_items(priorities.remove_communes, list_id)
    flash(tr("removed_msg").format(removed=len(removed)))
    return redirect(url_for(".show", list_id=list_id), 303)


@bp.post("/<int:list_id>/delete")
def delete(list_id: int):
    session = get_session()
    name = priorities.get_list(session, list_id).name
    priorities.delete_list(session, list_id, version=_form_version(), by=current_user_name())
    session.commit()
    flash(tr("deleted_msg").format(name=name))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:list_id>/restore")
def restore(list_id: int):
    session = get_session()
    plist = priorities.restore_list(
        session, list_id, version=_form_version(), by=current_user_name()
    )
    session.commit()
    flash(tr("restored_msg").format(name=plist.name))
    return redirect(url_for(".show", list_id=list_id), 303)
