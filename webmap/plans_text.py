"""Words of the plan pages, Vietnamese first, English beside (``webmap.i18n`` picks)."""

from __future__ import annotations

from services.plan_figures import FIGURE_LABELS
from webmap.i18n import current_language

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Kế hoạch Ngày thứ 7", "Saturday plans"),
    "plans": ("Kế hoạch", "Plans"),
    "new_plan": ("Lập kế hoạch mới", "New plan"),
    "unit": ("Đơn vị", "Unit"),
    "period": ("Kỳ", "Period"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "plan_title": ("Tên kế hoạch", "Title"),
    "kind": ("Loại", "Kind"),
    "kind_unit": ("Kế hoạch của đơn vị", "Unit plan"),
    "kind_province": (
        "Kế hoạch của tỉnh (giao việc cho sở, ngành)",
        "Province plan (tasks for departments)",
    ),
    "create": ("Tạo kế hoạch", "Create plan"),
    "items": ("Các việc trong kế hoạch", "Planned items"),
    "no_items": ("Chưa có việc nào.", "No items yet."),
    "no_plans": ("Chưa có kế hoạch nào.", "No plans yet."),
    "add_item": ("Thêm việc (vẽ trên bản đồ)", "Add an item (draw on the map)"),
    "edit_item": ("Sửa việc", "Edit item"),
    "date": ("Ngày thứ Bảy", "Saturday"),
    "commune": ("Xã", "Commune"),
    "village": ("Thôn", "Village"),
    "type": ("Loại công việc", "Type of work"),
    "quantity": ("Khối lượng dự kiến", "Planned quantity"),
    "criteria": ("Tiêu chí hướng tới", "Targeted criteria"),
    "lead": ("Người phụ trách", "Lead person"),
    "assignee": ("Đơn vị được giao", "Assigned unit"),
    "deadline": ("Hạn hoàn thành", "Deadline"),
    "description": ("Ghi chú", "Note"),
    "status": ("Tình trạng", "Status"),
    "planned": ("Đã lên kế hoạch", "Planned"),
    "done": ("Đã thực hiện", "Done"),
    "missed": ("Không thực hiện", "Missed"),
    "moved": ("Đã dời", "Moved"),
    "overdue": ("quá ngày, chưa ghi kết quả", "past its day, no result yet"),
    "to_activity": ("Đã thực hiện → ghi hoạt động", "Done → record the activity"),
    "mark_missed": ("Ghi không thực hiện", "Mark missed"),
    "reason": ("Lý do", "Reason"),
    "move": ("Dời sang ngày", "Move to"),
    "delete": ("Xoá", "Delete"),
    "save": ("Lưu", "Save"),
    "cancel": ("Huỷ", "Cancel"),
    "place": ("Vị trí", "Place"),
    "draw_hint": (
        "Vẽ điểm, đường hoặc vùng trên bản đồ; hoặc chỉ chọn xã.",
        "Draw a point, line or area on the map, or just choose the commune.",
    ),
    "progress": ("Kế hoạch so với thực hiện", "Plan against actual"),
    "total": ("Cộng", "Total"),
    "saturday": ("Thứ Bảy tới", "The coming Saturday"),
    "nothing_planned": ("Không có việc nào được lên kế hoạch.", "Nothing is planned."),
    "calendar": ("Lịch trên điện thoại (iCalendar)", "Calendar on a phone (iCalendar)"),
    "calendar_help": (
        "Đăng ký địa chỉ này trong ứng dụng lịch (Google Calendar, Lịch iPhone, Outlook) để thấy "
        "các việc đã lên kế hoạch. Địa chỉ chứa một mã bí mật: ai có địa chỉ đều xem được lịch, "
        "hãy thu hồi mã khi lộ hoặc khi người dùng nghỉ việc.",
        "Subscribe to this address in a calendar app to see planned items. It holds a secret: "
        "anyone with it can read the calendar; revoke it when it leaks or someone leaves.",
    ),
    "make_token": ("Tạo địa chỉ lịch mới", "Make a new calendar address"),
    "my_calendar": ("Lịch của tôi", "My calendar"),
    "revoke": ("Thu hồi", "Revoke"),
    "token_once": (
        "Chép địa chỉ này ngay: hệ thống không lưu và không hiện lại mã.",
        "Copy this address now: the secret is not stored and will not be shown again.",
    ),
    "live_tokens": ("Địa chỉ lịch đang dùng", "Calendar addresses in use"),
    "made_by": ("tạo bởi", "made by"),
    "on_map": ("Xem trên bản đồ", "On the map"),
    "province_tasks": ("Giao việc theo xã đỡ đầu", "Tasks in the sponsored communes"),
    "assign": ("Giao việc", "Assign"),
    "history": ("Lịch sử", "History"),
    "activity": ("Hoạt động", "Activity"),
    "confirm_saturday": ("Ngày không phải thứ Bảy: vẫn lưu?", "Not a Saturday: save anyway?"),
    "legend_planned": ("Việc đã lên kế hoạch", "Planned work"),
    "legend_undone": ("Xã có việc chưa làm", "Communes with undone planned work"),
}


TEXT.update({f"f_{name}": label for name, label in FIGURE_LABELS.items()})


def pt(key: str) -> str:
    """The plan pages' word ``key`` in the current language."""
    vi, en = TEXT[key]
    return en if current_language() == "en" else vi


def script_text() -> dict[str, str]:
    return {key: pt(key) for key in TEXT}
