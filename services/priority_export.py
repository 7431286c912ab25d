"""Priority lists as Excel workbooks and CSV files, with Vietnamese headers.

Text a user typed is written as plain text: a cell that starts like a
spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'``,
and characters a workbook cannot hold are dropped. Times are shown in
Vietnam's time zone (UTC+7, no daylight saving).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from services import priorities
from services.spreadsheet import safe_text

VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7), "UTC+7")
NO_DATA = "chưa có dữ liệu"
ITEM_HEADERS = (
    "STT",
    "Mã xã",
    "Tên xã",
    "Loại",
    "Diện tích (km²)",
    "Người thêm",
    "Thời điểm thêm (dd/mm/yyyy HH:MM)",
    "Lý do",
)
HISTORY_HEADERS = (
    "STT",
    "Mã xã",
    "Tên xã",
    "Thao tác",
    "Người thực hiện",
    "Thời điểm (dd/mm/yyyy HH:MM)",
    "Lý do",
)
KIND_LABELS = {"xa": "Xã", "phuong": "Phường", "thi_tran": "Thị trấn", "dac_khu": "Đặc khu"}
ACTION_LABELS = {"add": "Thêm", "remove": "Bớt"}
ITEM_WIDTHS = (6, 10, 28, 10, 16, 22, 22, 50)
HISTORY_WIDTHS = (6, 10, 28, 10, 22, 22, 50)


def neutralise(text: str | None) -> str:
    """Plain text that no spreadsheet will run as a formula (empty for None)."""
    return "" if text is None else safe_text(text)


def vietnam_time(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as a naive time in Vietnam, to the minute."""
    local = value.replace(tzinfo=dt.UTC).astimezone(VIETNAM_TZ).replace(tzinfo=None)
    return local.replace(second=0, microsecond=0)


def local_time(value: dt.datetime) -> str:
    """A stored UTC time as ``dd/mm/yyyy HH:MM`` in Vietnam.

    >>> local_time(dt.datetime(2026, 3, 1, 18, 5))
    '02/03/2026 01:05'
    """
    return vietnam_time(value).strftime("%d/%m/%Y %H:%M")


def vietnamese_number(value: float | None, decimals: int = 2) -> str:
    """``1.234,56``; unknown values say so.

    >>> vietnamese_number(12685.527)
    '12.685,53'
    """
    if value is None:
        return NO_DATA
    return f"{value:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def _item_row(number: int, item: priorities.ItemView) -> list:
    return [
        number,
        neutralise(item.code),
        neutralise(item.name),
        KIND_LABELS.get(item.kind, item.kind),
        item.area_km2,
        neutralise(item.added_by),
        vietnam_time(item.added_at),
        neutralise(item.reason),
    ]


def _history_row(number: int, entry: priorities.HistoryEntry) -> list:
    return [
        number,
        neutralise(entry.code),
        neutralise(entry.name),
        ACTION_LABELS.get(entry.action, entry.action),
        neutralise(entry.by),
        vietnam_time(entry.at),
        neutralise(entry.reason),
    ]


def header_block(session: Session, list_id: int, now: dt.datetime) -> list[tuple[str, str]]:
    """Label/value pairs that head an export: list name, period, note, export date."""
    plist = priorities.get_list(session, list_id)
    return [
        ("Danh sách xã ưu tiên", neutralise(plist.name)),
        ("Kỳ", priorities.period_text(plist.period_from, plist.period_to)),
        ("Ghi chú", neutralise(plist.note) or NO_DATA),
        ("Ngày xuất", f"{local_time(now)} (giờ Việt Nam, UTC+7)"),
    ]


def _write_sheet(sheet, block, headers, widths, rows, time_column: int, area_column=None) -> None:
    """Header block, a bold header row, the rows; times and areas formatted, long text wrapped."""
    for label, value in block:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append(list(headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
        sheet.cell(sheet.max_row, time_column).number_format = "dd/mm/yyyy hh:mm"
        sheet.cell(sheet.max_row, len(headers)).alignment = Alignment(wrap_text=True)
        if area_column is not None:
            sheet.cell(sheet.max_row, area_column).number_format = "#,##0.00"
            if row[area_column - 1] is None:
                sheet.cell(sheet.max_row, area_column).value = NO_DATA
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)


def to_xlsx(session: Session, list_id: int, now: dt.datetime | None = None) -> bytes:
    """The list's communes (sheet "Danh sách") and its history (sheet "Lịch sử")."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    block = header_block(session, list_id, now)
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    rows = [_item_row(n, it) for n, it in enumerate(priorities.items(session, list_id), 1)]
    _write_sheet(sheet, block, ITEM_HEADERS, ITEM_WIDTHS, rows, time_column=7, area_column=5)
    events = priorities.history(session, list_id)
    history_rows = [_history_row(n, e) for n, e in enumerate(events, 1)]
    history_sheet = book.create_sheet("Lịch sử")
    _write_sheet(history_sheet, block, HISTORY_HEADERS, HISTORY_WIDTHS, history_rows, 6)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(session: Session, list_id: int) -> bytes:
    """The list's communes as one CSV table, UTF-8 with BOM (so Excel reads the diacritics)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(ITEM_HEADERS)
    for number, item in enumerate(priorities.items(session, list_id), 1):
        row = _item_row(number, item)
        row[4] = vietnamese_number(item.area_km2)
        row[6] = local_time(item.added_at)
        writer.writerow(row)
    return ("\ufeff" + text.getvalue()).encode("utf-8")
