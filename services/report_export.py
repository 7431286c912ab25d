"""A periodic report as an Excel workbook (tables ready to paste into an official report) and
its charts as SVG (for the HTML report page that Chromium prints to PDF).

No Flask. Vietnamese headers, number formats, every text cell through ``safe_text``.
"""

from __future__ import annotations

import io

from markupsafe import escape
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from services.plan_figures import FIGURE_LABELS, PlanVsActual
from services.reports import Report, ReportFigures
from services.spreadsheet import safe_text

INT_FORMAT = "#,##0"
DEC_FORMAT = "#,##0.0"
PCT_FORMAT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

#: (label, attribute, number format)
SUMMARY_ROWS = (
    ("Số buổi thứ Bảy có hoạt động", "saturdays", INT_FORMAT),
    ("Số hoạt động", "activities", INT_FORMAT),
    ("Số lượt người tham gia", "participants", INT_FORMAT),
    ("Số ngày công", "workdays", DEC_FORMAT),
    ("Kinh phí huy động (đồng)", "funds_vnd", INT_FORMAT),
    ("Số xã có hoạt động", "communes_reached", INT_FORMAT),
    ("Trong đó: xã ưu tiên", "priority_communes_reached", INT_FORMAT),
)


def _header(ws, row: int, labels: list[str]) -> None:
    for col, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _row(ws, row: int, values: list, formats: list[str | None]) -> None:
    for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
        cell = ws.cell(row=row, column=col, value=safe_text(value))
        cell.border = BOX
        if fmt:
            cell.number_format = fmt


def _summary_sheet(wb: Workbook, report: Report) -> None:
    ws = wb.active
    ws.title = "Tổng hợp"
    cur, prev = report.current, report.previous
    ws["A1"] = safe_text(
        f"BÁO CÁO KẾT QUẢ PHONG TRÀO “NGÀY THỨ BẢY VÌ NÔNG THÔN MỚI” – {cur.unit_name}"
    )
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = safe_text(f"Kỳ báo cáo: {cur.period.label} ({cur.period.start:%d/%m/%Y} – {cur.period.end:%d/%m/%Y}); "
                         f"so sánh với {prev.period.start:%d/%m/%Y} – {prev.period.end:%d/%m/%Y}")  # fmt: skip
    _header(ws, 4, ["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Tăng/giảm", "Tỷ lệ thay đổi"])
    for i, (label, name, fmt) in enumerate(SUMMARY_ROWS, start=5):
        change = report.change(name)
        values = [label, getattr(cur, name), getattr(prev, name),
                  getattr(cur, name) - getattr(prev, name), change]  # fmt: skip
        _row(ws, i, values, [None, fmt, fmt, fmt, PCT_FORMAT])
    for col, width in zip("ABCDE", (38, 16, 16, 16, 16), strict=True):
        ws.column_dimensions[col].width = width


def _types_sheet(wb: Workbook, cur: ReportFigures) -> None:
    ws = wb.create_sheet("Theo loại việc")
    _header(ws, 1, ["Loại việc", "Số hoạt động", "Khối lượng", "Đơn vị tính"])
    for i, t in enumerate(cur.types, start=2):
        _row(ws, i, [t.name, t.activities, t.quantity, t.unit_of_measure],
             [None, INT_FORMAT, DEC_FORMAT, None])  # fmt: skip
    total = len(cur.types) + 2
    _row(ws, total, ["Tổng số hoạt động", sum(t.activities for t in cur.types), None, None],
         [None, INT_FORMAT, None, None])  # fmt: skip
    ws.cell(row=total, column=1).font = Font(bold=True)
    for col, width in zip("ABCD", (44, 14, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    if cur.types:
        chart = BarChart()
        chart.title, chart.y_axis.title = "Số hoạt động theo loại việc", "Hoạt động"
        chart.add_data(
            Reference(ws, min_col=2, min_row=1, max_row=total - 1), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=total - 1))
        ws.add_chart(chart, "F2")


def _criteria_sheet(wb: Workbook, cur: ReportFigures) -> None:
    ws = wb.create_sheet("Theo tiêu chí")
    _header(ws, 1, ["Số TT tiêu chí", "Tiêu chí", "Số hoạt động"])
    for i, c in enumerate(cur.criteria, start=2):
        _row(ws, i, [c.number, c.name, c.activities], [None, None, INT_FORMAT])
    ws.column_dimensions["B"].width = 50


def _months_sheet(wb: Workbook, cur: ReportFigures) -> None:
    ws = wb.create_sheet("Theo tháng")
    _header(ws, 1, ["Tháng", "Số hoạt động"])
    for i, (month, n) in enumerate(cur.by_month, start=2):
        _row(ws, i, [f"{month:%m/%Y}", n], [None, INT_FORMAT])


def _plan_sheet(wb: Workbook, plan: PlanVsActual) -> None:
    """Plan against actual of the unit, per type of work (only for a unit's report)."""
    ws = wb.create_sheet("Kế hoạch – thực hiện")
    names = list(FIGURE_LABELS)
    _header(ws, 1, ["Loại việc", "Đơn vị tính", *(FIGURE_LABELS[n][0] for n in names)])
    formats = [None, None, *(DEC_FORMAT if n.endswith("quantity") else INT_FORMAT for n in names)]
    for i, r in enumerate(plan.rows, start=2):
        _row(ws, i, [r["type_name"], r["unit"], *(r[n] for n in names)], formats)
    total = ["Cộng", None, *(plan.totals.get(n) for n in names)]
    _row(ws, len(plan.rows) + 2, total, formats)
    for cell in ws[len(plan.rows) + 2]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 45


def report_workbook(report: Report) -> bytes:
    """The report as .xlsx bytes: summary with comparison, by type, by criterion, by month,
    and plan against actual when it is a unit's report."""
    wb = Workbook()
    _summary_sheet(wb, report)
    _types_sheet(wb, report.current)
    _criteria_sheet(wb, report.current)
    _months_sheet(wb, report.current)
    if report.plan is not None:
        _plan_sheet(wb, report.plan)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def bar_chart_svg(items: list[tuple[str, float]], title: str, width: int = 640) -> str:
    """A horizontal bar chart as inline SVG (labels escaped)."""
    bar_h, left, top = 22, 230, 30
    height = top + bar_h * max(len(items), 1) + 12
    peak = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        y = top + i * bar_h
        w = (width - left - 70) * value / peak
        rows.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(label[:38])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="#2171b5"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 15}">{value:g}</text>'
        )
    if not items:
        rows.append(f'<text x="{left}" y="{top + 15}">chưa có dữ liệu</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'font-size="11" font-family="DejaVu Sans, sans-serif"><text x="0" y="16" font-weight="bold" '
        f'font-size="13">{escape(title)}</text>{"".join(rows)}</svg>'
    )
