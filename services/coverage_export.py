"""Coverage of a period as an Excel workbook (openpyxl), Vietnamese headers and formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from services.coverage import CommuneCoverage, commune_coverage, list_coverage
from services.coverage_gaps import gaps
from services.periods import Period
from services.spreadsheet import safe_text

NO_DATA = "chưa có dữ liệu"
NEVER = "chưa có hoạt động"
MONEY = "#,##0"
DECIMAL = "#,##0.##"
DATE = "dd/mm/yyyy"

COMMUNE_HEADERS = (
    ("Xã", None),
    ("Số hoạt động", "0"),
    ("Lượt người", MONEY),
    ("Ngày công", DECIMAL),
    ("Kinh phí (đồng)", MONEY),
    ("Tiêu chí đã tác động", None),
    ("Hoạt động gần nhất", DATE),
    ("Số ngày từ hoạt động gần nhất", "0"),
    ("Ghi nhận tại đơn vị cũ", None),
)


def _or(value, missing: str = NO_DATA):
    return missing if value is None else value


def _commune_row(row: CommuneCoverage) -> list:
    return [
        row.name,
        row.activities,
        _or(row.participants),
        _or(row.workdays),
        _or(row.funds_vnd),
        "; ".join(f"{c.code} {c.name}" for c in row.criteria),
        _or(row.last_activity_date, NEVER),
        _or(row.days_since_last, NEVER),
        "; ".join(f"{n.label}: {n.activities} hoạt động" for n in row.via_old_units),
    ]


def _sheet(book: Workbook, title: str, headers, rows, first: bool = False):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.append([h for h, _ in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([safe_text(v) for v in values])
    for index, (_, fmt) in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 18 if index > 1 else 28
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if not isinstance(cell.value, str):
                    cell.number_format = fmt
    sheet.freeze_panes = "B2"
    return sheet


def write_workbook(
    session: Session, period: Period, path: Path, list_id: int | None = None
) -> Path:
    """Write the coverage of ``period`` (per commune, quantities, gaps, list totals) to ``path``."""
    rows = commune_coverage(session, period)
    book = Workbook()
    _sheet(book, "Theo xã", COMMUNE_HEADERS, [_commune_row(r) for r in rows], first=True)
    quantities = [
        [r.name, q.type_name, q.unit_of_measure, _or(q.quantity), q.activities]
        for r in rows
        for q in r.quantities
    ]
    headers = (
        ("Xã", None),
        ("Loại hoạt động", None),
        ("Đơn vị tính", None),
        ("Khối lượng", DECIMAL),
        ("Số hoạt động", "0"),
    )
    _sheet(book, "Khối lượng", headers, quantities)
    _sheet(
        book,
        "Khoảng trống",
        (("Loại khoảng trống", None), ("Xã", None), ("Chi tiết", None)),
        _gap_rows(session, period, list_id, rows),
    )
    if list_id is not None:
        totals = list_coverage(session, period, list_id)
        figures = [
            ["Số hoạt động", totals.activities],
            ["Lượt người", _or(totals.participants)],
            ["Ngày công", _or(totals.workdays)],
            ["Kinh phí (đồng)", _or(totals.funds_vnd)],
            ["Số ngày từ hoạt động gần nhất", _or(totals.days_since_last, NEVER)],
        ]
        _sheet(book, "Danh sách ưu tiên", (("Chỉ số", None), ("Giá trị", MONEY)), figures)
    info = book.create_sheet("Thông tin")
    for line in (
        ["Kỳ", period.label],
        ["Từ ngày", period.start.strftime("%d/%m/%Y")],
        ["Đến ngày", period.end.strftime("%d/%m/%Y")],
        ["Lập lúc", dt.datetime.now().strftime("%d/%m/%Y %H:%M")],
        [
            "Cách tính",
            "Hoạt động qua nhiều xã được tính đủ ở mỗi xã; tổng danh sách tính mỗi hoạt động một lần.",
        ],
    ):
        info.append(line)
    book.save(path)
    return path


def _gap_rows(session: Session, period: Period, list_id: int | None, rows) -> list[list]:
    found = gaps(session, period, list_id, rows)
    out = [["Xã ưu tiên chưa có hoạt động", r.name, period.label] for r in found.no_activity]
    out += [
        [
            "Tiêu chí chưa đạt chưa có hoạt động",
            g.unit_name,
            f"{g.criterion_code} {g.criterion_name}",
        ]
        for g in found.unmet_not_addressed
    ]
    out += [["Xã được đến nhiều", r.name, f"{r.activities} hoạt động"] for r in found.crowded]
    out += [
        ["Xã đang chờ", r.name, NEVER if r.days_since_last is None else f"{r.days_since_last} ngày"]
        for r in found.waiting
    ]
    return out
