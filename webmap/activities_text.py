"""Words of the activity pages, Vietnamese first (``tr(key)`` in the templates and scripts)."""

from __future__ import annotations

from webmap.i18n import current_language

TEXT: dict[str, tuple[str, str]] = {
    "title_list": ("Hoạt động Ngày thứ 7", "Saturday activities"),
    "title_new": ("Ghi hoạt động mới", "Record an activity"),
    "title_edit": ("Sửa hoạt động", "Edit activity"),
    "title_import": ("Nhập hoạt động từ Excel", "Import activities from Excel"),
    "title_history": ("Lịch sử thay đổi", "History of changes"),
    "date": ("Ngày", "Date"),
    "type": ("Loại hoạt động", "Type"),
    "organiser": ("Đơn vị tổ chức", "Organiser"),
    "participants": ("Số người", "Participants"),
    "workdays": ("Ngày công", "Workdays"),
    "quantity": ("Khối lượng", "Quantity"),
    "funds": ("Kinh phí (đồng)", "Money (VND)"),
    "village": ("Thôn", "Village"),
    "description": ("Mô tả", "Description"),
    "criteria": ("Tiêu chí", "Criteria"),
    "commune": ("Xã", "Commune"),
    "communes": ("Xã (tính từ vị trí)", "Communes (from the location)"),
    "place": ("Vị trí", "Location"),
    "draw_hint": (
        "Vẽ điểm, đường hoặc vùng trên bản đồ; hoặc nhập toạ độ; hoặc tải tệp GPX/KML/GeoJSON/ảnh có GPS.",
        "Draw a point, line or area on the map; or type coordinates; or upload GPX/KML/GeoJSON/a photo with GPS.",
    ),
    "coordinates": ("Toạ độ", "Coordinates"),
    "notation_auto": ("Độ (thập phân hoặc độ-phút-giây)", "Degrees (decimal or DMS)"),
    "notation_vn2000": ("VN-2000 X, Y (mét)", "VN-2000 X, Y (metres)"),
    "zone_tm3": ("Múi 3° KTT 106°15'", "TM-3, CM 106°15'"),
    "zone_utm48n": ("UTM 48N (EPSG:3405)", "UTM 48N (EPSG:3405)"),
    "place_point": ("Đặt điểm", "Place point"),
    "upload": ("Tải tệp lên", "Upload a file"),
    "reported_commune": (
        "hoặc chỉ chọn xã (không có vị trí chính xác)",
        "or only choose a commune (no exact place)",
    ),
    "suggested": (
        "Gợi ý từ loại hoạt động và tiêu chí xã chưa đạt",
        "Suggested from the type and the commune's unmet criteria",
    ),
    "save": ("Lưu", "Save"),
    "cancel": ("Huỷ", "Cancel"),
    "filter": ("Lọc", "Filter"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "all": ("Tất cả", "All"),
    "show_deleted": ("Đã xoá", "Deleted"),
    "totals": ("Tổng cộng", "Totals"),
    "count": ("Số hoạt động", "Activities"),
    "export": ("Xuất", "Export"),
    "edit": ("Sửa", "Edit"),
    "delete": ("Xoá", "Delete"),
    "restore": ("Khôi phục", "Restore"),
    "history": ("Lịch sử", "History"),
    "new": ("Ghi hoạt động mới", "New activity"),
    "import": ("Nhập từ Excel", "Import from Excel"),
    "none": ("Chưa có hoạt động nào khớp bộ lọc.", "No activity matches the filters."),
    "no_place": ("chưa có vị trí", "no location"),
    "template": ("Tải tệp mẫu", "Download the template"),
    "mode_all": (
        "Tất cả hoặc không: một dòng sai thì không nhập dòng nào",
        "All or nothing: one bad row refuses the file",
    ),
    "mode_valid": ("Chỉ nhập các dòng hợp lệ", "Import the valid rows only"),
    "accept_not_saturday": (
        "Chấp nhận ngày không phải thứ Bảy",
        "Accept dates that are not Saturdays",
    ),
    "accept_duplicates": ("Chấp nhận hoạt động có thể trùng", "Accept likely duplicates"),
    "row": ("Dòng", "Row"),
    "status": ("Kết quả", "Result"),
    "accepted": ("Đã nhập", "Accepted"),
    "refused": ("Bị từ chối", "Refused"),
    "skipped": ("Bỏ qua", "Skipped"),
    "reason": ("Lý do / ghi chú", "Reason / note"),
    "who": ("Người thực hiện", "By"),
    "when": ("Thời điểm", "When"),
    "action": ("Thao tác", "Action"),
    "field": ("Trường", "Field"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "action_create": ("Tạo mới", "Created"),
    "action_update": ("Sửa", "Updated"),
    "action_delete": ("Xoá", "Deleted"),
    "action_restore": ("Khôi phục", "Restored"),
    "repair": ("Tự sửa vùng tự cắt", "Repair a self-crossing area"),
    "length": ("dài", "length"),
    "area": ("diện tích", "area"),
    "saved": ("Đã lưu.", "Saved."),
    "demo": ("dữ liệu minh hoạ", "demo data"),
}


def tr(key: str) -> str:
    """The activity pages' word ``key`` in the current language."""
    vi, en = TEXT[key]
    return en if current_language() == "en" else vi


def script_text() -> dict[str, str]:
    """Every word in the current language, for the pages' scripts."""
    return {key: tr(key) for key in TEXT}
