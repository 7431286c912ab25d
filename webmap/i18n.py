"""Vietnamese first, English available: messages, numbers and dates."""

from __future__ import annotations

import datetime as dt

from flask import g, request

LANGUAGES = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app_title": {
        "vi": "Bản đồ Ngày thứ 7 vì nông thôn mới",
        "en": "Saturday for New Rural Areas map",
    },
    "province": {"vi": "tỉnh Quảng Trị", "en": "Quảng Trị province"},
    "no_data": {"vi": "chưa có dữ liệu", "en": "no data"},
    "date_hint": {
        "vi": "Ngày theo dạng dd/mm/yyyy, ví dụ 05/09/2026",
        "en": "A date as dd/mm/yyyy, e.g. 05/09/2026",
    },
    "date_invalid": {
        "vi": "Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy, ví dụ 05/09/2026.",
        "en": "Not a date: type it as dd/mm/yyyy, e.g. 05/09/2026.",
    },
    "date_before": {"vi": "Ngày phải từ {d} trở đi.", "en": "The date must be {d} or later."},
    "date_after": {"vi": "Ngày phải đến {d} là cùng.", "en": "The date must be {d} or earlier."},
    "legend_difficulty": {"vi": "Xã khó khăn", "en": "Difficult communes"},
    "mountainous": {"vi": "Miền núi", "en": "Mountainous"},
    "coastal_sandy": {"vi": "Bãi ngang ven biển", "en": "Coastal sandy"},
    "island": {"vi": "Hải đảo", "en": "Island"},
    "several": {"vi": "Nhiều loại khó khăn", "en": "Several"},
    "none": {"vi": "Không thuộc diện khó khăn", "en": "None"},
    "derived_note": {
        "vi": "Phân loại suy ra từ các xã cũ hợp thành (không phải quyết định chính thức cho xã mới).",
        "en": "Derived from the former constituent units, not an official classification of the new unit.",
    },
    "communes_count": {"vi": "xã, phường, đặc khu", "en": "communes, wards, special zone"},
    "kind_xa": {"vi": "Xã", "en": "Commune"},
    "kind_phuong": {"vi": "Phường", "en": "Ward"},
    "kind_thi_tran": {"vi": "Thị trấn", "en": "Township"},
    "kind_dac_khu": {"vi": "Đặc khu", "en": "Special zone"},
    "area": {"vi": "Diện tích", "en": "Area"},
    "name": {"vi": "Tên", "en": "Name"},
    "error_title": {"vi": "Có lỗi xảy ra", "en": "Something went wrong"},
    "error_retry": {
        "vi": "Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.",
        "en": "The database cannot be reached right now. Please try again in a few minutes.",
    },
    "not_found": {"vi": "Không tìm thấy trang này.", "en": "Page not found."},
    "sources": {"vi": "Nguồn dữ liệu", "en": "Data sources"},
    "area_measured": {"vi": "diện tích đo từ ranh giới", "en": "area measured on the boundaries"},
    "area_published": {"vi": "công bố theo nguồn", "en": "published by the source"},
    "nav_label": {"vi": "Các trang chính", "en": "Main pages"},
    "nav_map": {"vi": "Bản đồ điều phối", "en": "Planner map"},
    "nav_activities": {"vi": "Hoạt động", "en": "Activities"},
    "nav_lists": {"vi": "Danh sách ưu tiên", "en": "Priority lists"},
    "nav_reports": {"vi": "Báo cáo", "en": "Reports"},
    "nav_plans": {"vi": "Kế hoạch", "en": "Plans"},
    "nav_facts": {"vi": "Nhập số liệu", "en": "Import facts"},
}


def current_language() -> str:
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get("lang")
        g.lang = asked if asked in LANGUAGES else _default_language()
    return g.lang


def _default_language() -> str:
    from flask import current_app

    return current_app.config.get("NTM_LANGUAGE", "vi")


def t(key: str, lang: str | None = None) -> str:
    """The message ``key`` in the current (or given) language."""
    entry = MESSAGES[key]
    return entry[lang or current_language()]


def format_number(value: float | int | None, decimals: int = 0, lang: str = "vi") -> str:
    """Vietnamese convention: ``12.685,5`` (dot for thousands, comma for decimals).

    >>> format_number(12685.527, 1)
    '12.685,5'
    >>> format_number(None)
    'chưa có dữ liệu'
    """
    if value is None:
        return MESSAGES["no_data"][lang]
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def as_date(value: dt.date | str | None) -> dt.date | None:
    """A date from a date, an ISO ``YYYY-MM-DD`` text (a form sent back) or nothing; text that
    is no date gives None (the form's own error message says what is wrong).

    >>> as_date("2026-09-05"), as_date(""), as_date("31/02"), as_date(dt.datetime(2026, 9, 5, 7))
    (datetime.date(2026, 9, 5), None, None, datetime.date(2026, 9, 5))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date) or not value:
        return value or None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def format_date(value: dt.date | None, lang: str = "vi") -> str:
    """``dd/mm/yyyy``; unknown dates say so.

    >>> format_date(dt.date(2020, 6, 15))
    '15/06/2020'
    """
    if value is None:
        return MESSAGES["no_data"][lang]
    return value.strftime("%d/%m/%Y")
