"""Exports for meetings: print pages of the map, the meeting pack, periodic reports; and the
API that starts an export job, reports its progress and hands out the file.

Export jobs go into the database queue (``services.export_jobs``) and are rendered by
``ntm worker`` processes (``webmap.export_worker``) as the user who asked: the worker opens a
server-side session of that user, so the print page passes the same ``PERMISSIONS`` as the
user and a user can never export what they could not see. Any web process answers a job's
status and file. Nothing reaches the network (see ``services.snapshots``).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
)

from geo.errors import NtmError
from geo.models import Organisation
from services import export_jobs
from services.activity_input import parse_date
from services.fields import is_digits
from services.periods import Period
from services.plan_figures import FIGURES
from services.report_export import bar_chart_svg, report_workbook
from services.reports import period_report, report_units
from services.snapshots import PageSize, paper_size
from webmap import plans_text
from webmap.auth import current_user
from webmap.blueprints.map_api import map_query
from webmap.db import get_session
from webmap.i18n import current_language, format_date, format_number
from webmap.meeting_pack import build_pack
from webmap.print_view import PrintState, map_sheet, sources, subtitle
from webmap.request_body import json_object

bp = Blueprint("exports", __name__)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
KINDS = ("png", "pdf", "pack", "report")
LEGEND_W, HEAD_H, FOOT_H, GAP = 250, 78, 64, 14
#: the running export's progress callback, set by the worker around a render (packs report pages)
progress_reporter = threading.local()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/exports/font/<name>")
def font(name: str):
    """DejaVu Sans from the system (Vietnamese diacritics), for ``@font-face``: no CDN."""
    if name not in FONTS or not (FONT_DIR / name).is_file():
        abort(404)
    return send_file(FONT_DIR / name, mimetype="font/ttf", max_age=86400)


def _sheet_size() -> tuple[int, int]:
    # not ``w``: the map's own query uses ``w`` for the priority weights
    w, h = request.args.get("sheet_w", "1122"), request.args.get("sheet_h", "793")
    if not (is_digits(w) and is_digits(h)) or not (300 <= int(w) <= 4000 and 200 <= int(h) <= 4000):
        raise NtmError("Kích thước trang in phải từ 300×200 đến 4000×4000 điểm ảnh.")
    return int(w), int(h)


def _title(default: str) -> str:
    return (request.args.get("title") or default).strip()[:200]


def _page_css(paper: str, orientation: str) -> str:
    return f"@page {{ size: {paper} {orientation}; margin: 0 }}"


def _paper() -> tuple[str, str]:
    paper = request.args.get("paper", "A4")
    orientation = request.args.get("orientation", "landscape")
    paper_size(paper, orientation)  # checks both
    return paper, orientation


@bp.get("/map/print")
def print_map():
    """The print view of a planner-map URL: title, subtitle, map, legend, scale, sources."""
    session, lang = get_session(), current_language()
    query = map_query()
    state = PrintState.from_args(request.args, lang)
    w, h = _sheet_size()
    paper, orientation = _paper()
    map_size = (w - LEGEND_W - 3 * GAP, h - HEAD_H - FOOT_H - 2 * GAP)
    sheet = map_sheet(session, query, state, map_size)
    return render_template(
        "exports/print.html", lang=lang, sheet=sheet, w=w, h=h, map_size=map_size,
        title=_title("Bản đồ phong trào Ngày thứ 7 vì nông thôn mới"),
        subtitle=subtitle(session, query, state, sheet), sources=sources(session),
        exported=format_date(dt.date.today()), page_css=_page_css(paper, orientation),
    )  # fmt: skip


@bp.get("/exports/pack")
def meeting_pack():
    """The meeting pack as one HTML document, one ``.sheet`` per printed page."""
    session, lang = get_session(), current_language()
    query = map_query()
    state = PrintState.from_args(request.args, lang)
    w, h = _sheet_size()
    paper, orientation = _paper()
    cover_size = (w - LEGEND_W - 3 * GAP, h - HEAD_H - FOOT_H - 2 * GAP)
    page_size = (int(w * 0.55), h - HEAD_H - FOOT_H - 2 * GAP)
    pack = build_pack(
        session, query, state, cover_size, page_size, getattr(progress_reporter, "report", None)
    )
    start, end = query.period()
    return render_template(
        "exports/pack.html", lang=lang, pack=pack, w=w, h=h, cover_size=cover_size,
        page_size=page_size, title=_title(pack.title), sources=sources(session),
        subtitle=subtitle(session, query, state, pack.cover),
        period=f"{format_date(start)} – {format_date(end)}", exported=format_date(dt.date.today()),
        page_css=_page_css(paper, orientation), number=format_number,
    )  # fmt: skip


# --- reports ------------------------------------------------------------------------------


def _report_args() -> tuple[Period, int | None]:
    today = dt.date.today()
    try:  # ISO, or dd/mm/yyyy as typed when the page runs without JavaScript
        start = parse_date(request.args.get("from")) or today.replace(month=1, day=1)
        end = parse_date(request.args.get("to")) or today
    except ValueError:
        raise NtmError(
            "Ngày không hợp lệ ở “from”/“to”; hãy dùng dạng dd/mm/yyyy hoặc YYYY-MM-DD."
        ) from None
    unit = request.args.get("unit", "")
    if unit and not is_digits(unit):
        raise NtmError("Tham số “unit” phải là số của một sở, ngành hoặc tổ công tác.")
    return Period.between(start, end), int(unit) if unit else None


@bp.get("/reports")
def reports_page():
    """Pick a period and a unit; download the report as Excel or PDF."""
    session = get_session()
    period, unit = _report_args()
    args = {"from": period.start.isoformat(), "to": period.end.isoformat(), "unit": unit or ""}
    return render_template(
        "exports/reports.html", lang=current_language(), units=report_units(session, period.end),
        period=period, unit=unit, query=urlencode(args),
        report=period_report(session, period, unit), number=format_number,
    )  # fmt: skip


@bp.get("/reports/print")
def report_print():
    """The report as a printable page (Chromium turns it into the PDF)."""
    session = get_session()
    period, unit = _report_args()
    report = period_report(session, period, unit)
    cur = report.current
    charts = [
        bar_chart_svg([(t.name, t.activities) for t in cur.types], "Số hoạt động theo loại việc"),
        bar_chart_svg([(f"{m:%m/%Y}", n) for m, n in cur.by_month], "Số hoạt động theo tháng"),
    ]
    return render_template(
        "exports/report.html", lang=current_language(), report=report, charts=charts,
        number=format_number, exported=format_date(dt.date.today()),
        page_css=_page_css("A4", "portrait"), pt=plans_text.pt, figures=FIGURES,
        plan_org=None if unit is None else session.get(Organisation, unit),
    )  # fmt: skip


@bp.get("/reports/excel")
def report_excel():
    session = get_session()
    period, unit = _report_args()
    body = report_workbook(period_report(session, period, unit))
    name = f"bao-cao-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return Response(
        body, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# --- export jobs --------------------------------------------------------------------------


def _int_arg(payload: dict, name: str, default: int, low: int, high: int) -> int:
    value = payload.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise NtmError(f"“{name}” phải là số nguyên từ {low} đến {high}.")
    return value


def _job_plan(payload: dict) -> tuple[str, dict]:
    """``(kind, plan)`` of a request body: what the worker renders (JSON, kept with the job)."""
    kind = payload.get("kind")
    if kind not in KINDS:
        raise NtmError(f"Loại xuất “{kind}” không có; chọn một trong: {', '.join(KINDS)}.")
    query = str(payload.get("query", "")).lstrip("?")[:4000]
    paper, orientation = (
        str(payload.get("paper", "A4")),
        str(payload.get("orientation", "landscape")),
    )
    title = str(payload.get("title", ""))[:200]
    stamp = dt.date.today().strftime("%Y%m%d")
    if kind == "png" and payload.get("size") == "screen":
        size = PageSize(
            _int_arg(payload, "width", 1400, 300, 4000), _int_arg(payload, "height", 880, 200, 4000)
        )
    else:
        size = paper_size(
            paper, orientation, _int_arg(payload, "dpi", 300, 72, 600) if kind == "png" else 96
        )
    extra = urlencode(
        {
            "title": title,
            "paper": paper,
            "orientation": orientation,
            "sheet_w": size.width_px,
            "sheet_h": size.height_px - (0 if kind == "png" else 2),
        }
    )
    pdf = {"mode": "pdf", "paper": paper, "landscape": orientation == "landscape"}
    if kind == "report":
        plan = pdf | {"path": f"/reports/print?{query}", "paper": "A4", "landscape": False}
        return kind, plan | {"filename": f"bao-cao-{stamp}.pdf", "mimetype": "application/pdf"}
    if kind == "pack":
        plan = pdf | {"path": f"/exports/pack?{query}&{extra}"}
        return kind, plan | {"filename": f"tai-lieu-hop-{stamp}.pdf", "mimetype": "application/pdf"}
    path = f"/map/print?{query}&{extra}"
    if kind == "pdf":
        return kind, pdf | {
            "path": path,
            "filename": f"ban-do-{stamp}.pdf",
            "mimetype": "application/pdf",
        }
    return kind, {
        "mode": "png", "path": path, "size": [size.width_px, size.height_px, size.scale],
        "filename": f"ban-do-{stamp}.png", "mimetype": "image/png",
    }  # fmt: skip


def _owner() -> str:
    user = current_user()
    return user.username if user is not None else "anonymous"


@bp.post("/api/exports")
def start_export():
    """Queue an export of the map, a meeting pack or a report; answers at once with the job."""
    payload = json_object() if request.is_json else None
    if payload is None:
        raise NtmError("Cần một đối tượng JSON: kind, query, title, paper, orientation, dpi.")
    kind, plan = _job_plan(payload)
    session = get_session()
    job = export_jobs.submit(
        session, kind, _owner(), plan, language=current_language(),
        user_limit=int(current_app.config.get("NTM_EXPORT_USER_LIMIT") or 3),
    )  # fmt: skip
    session.commit()
    return jsonify(export_jobs.as_dict(job)), 202


@bp.get("/api/exports/<job_id>")
def export_status(job_id: str):
    return jsonify(export_jobs.as_dict(export_jobs.get_for(get_session(), job_id, _owner())))


@bp.post("/api/exports/<job_id>/cancel")
def cancel_export(job_id: str):
    session = get_session()
    job = export_jobs.cancel(session, job_id, _owner())
    session.commit()
    return jsonify(export_jobs.as_dict(job))


@bp.get("/api/exports/<job_id>/file")
def export_file(job_id: str):
    job = export_jobs.get_for(get_session(), job_id, _owner())
    body = export_jobs.read_file(job)
    return Response(body, mimetype=job.mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{job.filename}"'})  # fmt: skip
