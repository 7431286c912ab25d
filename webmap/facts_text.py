"""Words of the fact import page and the panel's correction controls, Vietnamese first
(``tr(key)`` in the templates; ``script_text()`` for ``static/planner/facts.js``)."""

from __future__ import annotations

from webmap.i18n import current_language

TEXT: dict[str, tuple[str, str]] = {
    "title_import": ("Nhập dữ liệu xã từ tệp", "Import commune facts from a file"),
    "intro": (
        "Chọn loại dữ liệu, tải tệp mẫu Excel, điền rồi tải lên (CSV UTF-8 hoặc .xlsx). "
        "Trang sẽ kiểm tra từng dòng và cho xem trước; chỉ khi bạn xác nhận thì dữ liệu mới "
        "được ghi, và cả tệp được ghi hoặc không dòng nào.",
        "Choose a kind of data, download its Excel template, fill it in and upload it (UTF-8 "
        "CSV or .xlsx). Every row is checked and previewed; nothing is written until you "
        "confirm, and then the whole file or nothing.",
    ),
    "kind": ("Loại dữ liệu", "Kind of data"),
    "kind_assessments": ("Đánh giá tiêu chí", "Criterion assessments"),
    "kind_classifications": ("Phân loại xã", "Commune classifications"),
    "kind_ntm-levels": ("Mức đạt nông thôn mới", "NTM levels"),
    "kind_departments": ("Sở, ban, ngành", "Departments"),
    "kind_sponsorships": ("Đỡ đầu", "Sponsorships"),
    "template": ("Tải tệp mẫu Excel", "Download the Excel template"),
    "file": ("Tệp CSV hoặc Excel (.xlsx)", "CSV or Excel (.xlsx) file"),
    "preview": ("Kiểm tra và xem trước", "Check and preview"),
    "confirm": ("Xác nhận nhập", "Confirm the import"),
    "confirm_note": (
        "Khi xác nhận, tệp được kiểm tra lại từ đầu trước khi ghi.",
        "On confirming, the file is checked again from the start before anything is written.",
    ),
    "cannot_confirm": (
        "Còn dòng bị từ chối: hãy sửa tệp rồi tải lên lại.",
        "Some rows were refused: correct the file and upload it again.",
    ),
    "preview_title": ("Xem trước (chưa ghi gì)", "Preview (nothing written yet)"),
    "result_title": ("Kết quả nhập", "Import result"),
    "row": ("Dòng", "Row"),
    "status": ("Kết quả", "Outcome"),
    "column": ("Cột", "Column"),
    "reason": ("Lý do", "Reason"),
    "accepted": ("hợp lệ", "accepted"),
    "skipped": ("đã có / bỏ qua", "already there / skipped"),
    "refused": ("bị từ chối", "refused"),
    "warnings": ("Lưu ý", "Notes"),
    "planners_only": (
        "Chỉ cán bộ kế hoạch (hoặc quản trị) được nhập dữ liệu.",
        "Only planners (or administrators) may import data.",
    ),
    # the commune panel's correction controls (facts.js)
    "fx_edit": ("Sửa", "Edit"),
    "fx_save": ("Lưu", "Save"),
    "fx_cancel": ("Huỷ", "Cancel"),
    "fx_status": ("Kết quả", "Outcome"),
    "fx_met": ("đạt", "met"),
    "fx_unmet": ("chưa đạt", "not met"),
    "fx_unknown": ("chưa rõ", "unknown"),
    "fx_true": ("có", "yes"),
    "fx_false": ("không", "no"),
    "fx_date": ("Ngày đánh giá", "Assessed on"),
    "fx_source": ("Nguồn", "Source"),
    "fx_note": ("Ghi chú", "Note"),
    "fx_value": ("Giá trị", "Value"),
    "fx_from": ("Từ ngày", "From"),
    "fx_to": ("Đến ngày", "To"),
    "fx_legal": ("Căn cứ pháp lý", "Legal basis"),
    "fx_saved": ("Đã lưu; bản cũ vẫn giữ trong lịch sử.", "Saved; the old one is kept as history."),
    "fx_bad_date": ("Ngày phải có dạng dd/mm/yyyy.", "Dates must be dd/mm/yyyy."),
    "fx_history": ("Lịch sử", "History"),
    "fx_year": ("Năm", "Year"),
    "fx_level": ("Mức", "Level"),
    "fx_registered": ("Đăng ký đạt chuẩn", "Registered"),
    "fx_target_year": ("Năm mục tiêu (khi đăng ký)", "Target year (when registered)"),
    "fx_bad_year": ("Năm phải là số có 4 chữ số.", "Years are four-digit numbers."),
}


def tr(key: str) -> str:
    vi, en = TEXT[key]
    return en if current_language() == "en" else vi


def script_text() -> dict[str, str]:
    return {key: tr(key) for key in TEXT if key.startswith("fx_")}
