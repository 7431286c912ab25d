"""The columns of each fact file, the words accepted in them, and the Excel templates.

Headers are Vietnamese (as in the templates) with English aliases; matching ignores
case, spaces, a trailing "(…)" hint and, as a last resort, diacritics.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

#: a template's example row carries this in its source/note column; imports skip it
EXAMPLE_MARK = "VÍ DỤ – xoá dòng này trước khi nhập"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str
    example: object = None
    required: bool = False
    aliases: tuple[str, ...] = ()


def norm(text: object) -> str:
    """Casefolded NFC text with single spaces: ``"  Đạt "`` → ``"đạt"``."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def plain(text: str) -> str:
    """``norm`` without diacritics (đ → d), for lenient matching."""
    decomposed = unicodedata.normalize("NFD", norm(text).replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def header_key(text: object) -> str:
    """A header as compared: no "(…)" hint, no ``*``/``:``, ``_``/``-`` as spaces."""
    text = re.sub(r"\(.*?\)", " ", str(text or ""))
    return norm(re.sub(r"[_\-*:]", " ", text))


_UNIT_CODE = Column(
    "unit_code",
    "Mã xã",
    "Mã xã, phường, đặc khu theo danh mục hành chính, hiểu theo ngày của dòng (một mã được "
    "dùng lại qua các thời kỳ). Có thể để trống nếu ghi Tên xã.",
    "18904",
    aliases=("commune code", "unit code", "ma xa"),
)
_UNIT_NAME = Column(
    "unit_name",
    "Tên xã",
    "Tên đầy đủ của xã, phường (ví dụ 'Xã Dân Hóa'). Dùng khi không có mã; nếu có cả mã "
    "thì tên phải khớp với mã.",
    "Xã Dân Hóa",
    aliases=("commune name", "commune", "unit name"),
)
_SOURCE = Column(
    "source",
    "Nguồn",
    "Văn bản, báo cáo hoặc người cung cấp số liệu.",
    EXAMPLE_MARK,
    aliases=("source",),
)
_NOTE = Column("note", "Ghi chú", "Ghi chú tự do, lưu nguyên dạng chữ.", aliases=("note", "notes"))


def _date_column(key: str, header: str, help_: str, example, required=False, aliases=()):
    return Column(
        key,
        header,
        help_ + " Ghi dạng dd/mm/yyyy (hoặc ô ngày của Excel).",
        example,
        required,
        aliases,
    )


KINDS: dict[str, tuple[Column, ...]] = {
    "assessments": (
        _UNIT_CODE,
        _UNIT_NAME,
        Column(
            "criteria_set",
            "Bộ tiêu chí",
            "QĐ 1980 (2016–2020), QĐ 318 (2021–2025) hoặc QĐ 51/2025 (2026–2030), hay mã bộ "
            "tiêu chí. Để trống: bộ tiêu chí áp dụng vào ngày đánh giá.",
            "QĐ 318/QĐ-TTg",
            aliases=("criteria set",),
        ),
        Column(
            "criterion",
            "Tiêu chí số",
            "Số thứ tự của tiêu chí trong bộ (1, 2, …).",
            2,
            True,
            ("criterion", "criterion number", "tiêu chí"),
        ),
        Column(
            "status", "Kết quả", "đạt, chưa đạt hoặc chưa rõ.", "đạt", True, ("result", "status")
        ),
        _date_column(
            "assessed_on",
            "Ngày đánh giá",
            "Ngày đánh giá, không ở tương lai và trong thời gian áp dụng của bộ tiêu chí.",
            dt.date(2025, 9, 15),
            True,
            ("date", "assessed on"),
        ),
        _SOURCE,
        _NOTE,
    ),
    "classifications": (
        _UNIT_CODE,
        _UNIT_NAME,
        Column(
            "flag",
            "Loại",
            "miền núi, bãi ngang ven biển, hải đảo, đặc biệt khó khăn hoặc nhóm xã.",
            "miền núi",
            True,
            ("kind", "flag", "classification"),
        ),
        Column(
            "value",
            "Giá trị",
            "có / không (nhóm xã: 1, 2 hoặc 3). Để trống hoặc 'chưa rõ' khi chưa biết.",
            "có",
            aliases=("value",),
        ),
        _date_column(
            "period_from",
            "Từ ngày",
            "Ngày bắt đầu hiệu lực.",
            dt.date(2025, 7, 1),
            True,
            ("from", "valid from", "period from"),
        ),
        _date_column(
            "period_to",
            "Đến ngày",
            "Ngày hết hiệu lực (không kể ngày này); để trống nếu còn hiệu lực.",
            None,
            aliases=("to", "valid to", "period to"),
        ),
        Column(
            "legal_basis",
            "Căn cứ pháp lý",
            "Số, ngày của quyết định (bắt buộc khi giá trị là có/không/nhóm).",
            "QĐ 861/QĐ-TTg 04/06/2021",
            aliases=("legal basis",),
        ),
        _SOURCE,
    ),
    "ntm-levels": (
        _UNIT_CODE,
        _UNIT_NAME,
        Column("year", "Năm", "Năm của mức đạt (không ở tương lai).", 2025, True, ("year",)),
        Column(
            "level",
            "Mức",
            "chưa đạt, đăng ký, đạt chuẩn, nâng cao, kiểu mẫu hoặc không áp dụng (phường).",
            "đăng ký",
            True,
            ("level",),
        ),
        Column(
            "target_year",
            "Năm mục tiêu",
            "Chỉ với mức 'đăng ký': năm dự kiến đạt.",
            2026,
            aliases=("target year",),
        ),
        Column(
            "target_level",
            "Mức mục tiêu",
            "Chỉ với mức 'đăng ký': đạt chuẩn (mặc định), nâng cao hoặc kiểu mẫu.",
            "đạt chuẩn",
            aliases=("target level",),
        ),
        _SOURCE,
    ),
    "departments": (
        Column(
            "code",
            "Mã đơn vị",
            "Mã riêng của sở, ban, ngành (không đổi).",
            "QT44-SNNMT",
            True,
            ("code", "department code"),
        ),
        Column(
            "name",
            "Tên đơn vị",
            "Tên đầy đủ.",
            "Sở Nông nghiệp và Môi trường",
            True,
            ("name", "department name"),
        ),
        Column(
            "short_name",
            "Tên viết tắt",
            "Tên ngắn hiện trên bản đồ.",
            "Sở NN&MT",
            aliases=("short name",),
        ),
        _date_column(
            "valid_from",
            "Từ ngày",
            "Ngày thành lập; để trống nếu không rõ.",
            dt.date(2025, 7, 1),
            aliases=("from", "valid from"),
        ),
        _date_column(
            "valid_to",
            "Đến ngày",
            "Ngày thôi hoạt động (không kể ngày này); để trống nếu còn hoạt động.",
            None,
            aliases=("to", "valid to"),
        ),
        Column(
            "successor_code",
            "Đơn vị kế thừa",
            "Mã đơn vị nhận lại nhiệm vụ khi sáp nhập.",
            aliases=("successor", "successor code"),
        ),
        _SOURCE,
    ),
    "sponsorships": (
        Column(
            "department",
            "Mã đơn vị",
            "Mã của sở, ban, ngành đỡ đầu.",
            "QT44-SNNMT",
            True,
            ("department", "department code"),
        ),
        _UNIT_CODE,
        _UNIT_NAME,
        _date_column(
            "valid_from",
            "Từ ngày",
            "Ngày bắt đầu đỡ đầu.",
            dt.date(2025, 8, 1),
            True,
            ("from", "valid from"),
        ),
        _date_column(
            "valid_to",
            "Đến ngày",
            "Ngày kết thúc (không kể ngày này); để trống nếu "
            "còn đỡ đầu. Ghi ngày cho một việc đỡ đầu đã có là kết thúc nó.",
            None,
            aliases=("to", "valid to"),
        ),
        Column(
            "note",
            "Ghi chú",
            "Ghi chú tự do, lưu nguyên dạng chữ.",
            EXAMPLE_MARK,
            aliases=("note", "notes"),
        ),
        Column("source", "Nguồn", "Quyết định phân công đỡ đầu.", aliases=("source",)),
    ),
}

KIND_LABELS = {
    "assessments": "Đánh giá tiêu chí",
    "classifications": "Phân loại xã",
    "ntm-levels": "Mức đạt nông thôn mới",
    "departments": "Sở, ban, ngành",
    "sponsorships": "Đỡ đầu",
}

STATUS_WORDS = {
    "đạt": "met",
    "chưa đạt": "unmet",
    "không đạt": "unmet",
    "chưa rõ": "unknown",
    "chưa có dữ liệu": "unknown",
    "met": "met",
    "unmet": "unmet",
    "unknown": "unknown",
}
FLAG_WORDS = {
    "miền núi": "mountainous",
    "xã miền núi": "mountainous",
    "bãi ngang ven biển": "coastal_sandy",
    "bãi ngang": "coastal_sandy",
    "xã bãi ngang ven biển": "coastal_sandy",
    "hải đảo": "island",
    "đảo": "island",
    "xã đảo": "island",
    "đặc biệt khó khăn": "extremely_difficult",
    "xã đặc biệt khó khăn": "extremely_difficult",
    "đbkk": "extremely_difficult",
    "nhóm xã": "commune_group",
    "nhóm": "commune_group",
    **{
        code: code
        for code in (
            "mountainous",
            "coastal_sandy",
            "island",
            "extremely_difficult",
            "commune_group",
        )
    },
}
#: ``None`` means the value is unknown
BOOL_WORDS = {
    "có": "true",
    "không": "false",
    "x": "true",
    "đúng": "true",
    "sai": "false",
    "yes": "true",
    "no": "false",
    "true": "true",
    "false": "false",
    "chưa rõ": None,
    "unknown": None,
}
GROUP_WORDS = {
    "1": "1",
    "2": "2",
    "3": "3",
    "nhóm 1": "1",
    "nhóm 2": "2",
    "nhóm 3": "3",
    "chưa rõ": None,
    "unknown": None,
}
LEVEL_WORDS = {
    "chưa đạt": "none",
    "đăng ký": "registered",
    "đăng ký đạt chuẩn": "registered",
    "đạt chuẩn": "standard",
    "nâng cao": "advanced",
    "kiểu mẫu": "model",
    "không áp dụng": "not_applicable",
    **{c: c for c in ("none", "registered", "standard", "advanced", "model", "not_applicable")},
}
TARGET_WORDS = {
    "đạt chuẩn": "standard",
    "nâng cao": "advanced",
    "kiểu mẫu": "model",
    **{c: c for c in ("standard", "advanced", "model")},
}


def allowed_words(words: dict) -> str:
    """The Vietnamese choices of a vocabulary, for messages: ``đạt, chưa đạt, chưa rõ``."""
    seen = []
    for word in words:
        if not re.fullmatch(r"[a-z_]+", word) and word not in seen:
            seen.append(word)
    return ", ".join(seen)


def template_workbook(kind: str) -> bytes:
    """An .xlsx for ``kind``: the headers and an example row, and a sheet explaining each column."""
    columns = KINDS[kind]
    book = Workbook()
    data = book.active
    data.title = "Dữ liệu"
    data.append([c.header for c in columns])
    data.append([c.example for c in columns])
    for index, column in enumerate(columns, start=1):
        head, example = data.cell(1, index), data.cell(2, index)
        head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        example.font = Font(italic=True, color="808080")
        if isinstance(column.example, dt.date):
            example.number_format = "DD/MM/YYYY"
        elif column.key in ("unit_code", "code", "department", "successor_code"):
            example.number_format = "@"
        letter = head.column_letter
        data.column_dimensions[letter].width = max(14, len(column.header) + 4)
    data.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn")
    guide.append(
        [
            f"Mẫu nhập {KIND_LABELS[kind].lower()} — dòng 1 là tiêu đề, dòng 2 là ví dụ "
            "(xoá trước khi nhập). Cả tệp được nhập hoặc không dòng nào."
        ]
    )
    guide.append(["Cột", "Bắt buộc", "Ý nghĩa", "Tên cột tiếng Anh được chấp nhận"])
    for column in columns:
        guide.append(
            [
                column.header,
                "có" if column.required else "không",
                column.help,
                ", ".join(a for a in column.aliases if a.isascii()),
            ]
        )
    for cell in guide[2]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (18, 10, 90, 30), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
