"""JSON API of the analyses: coverage and gaps, priority ranking, sponsorship balance.

Routes parse the query, call the services, respond. Dates are ``YYYY-MM-DD``;
a period is ``start``/``end`` or ``kind`` (month, quarter, half, year) with
``year`` and ``number``. Errors come from ``webmap.errors`` as ``{error, details}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from flask import Blueprint, Response, jsonify, request
from shapely.geometry import mapping

from geo.errors import NtmError
from services import fields, ranking, sponsorship_balance
from services.coverage import CommuneCoverage, CoverageFigures, commune_coverage, list_coverage
from services.coverage_export import write_workbook
from services.coverage_gaps import gaps
from services.periods import Period
from webmap.db import get_session
from webmap.identity import current_user_name
from webmap.request_body import json_object

bp = Blueprint("analysis_api", __name__, url_prefix="/api")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(name: str, default: dt.date | None = None) -> dt.date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise NtmError(f"Thiếu tham số “{name}” (ngày dạng YYYY-MM-DD).")
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise NtmError(
            f"Tham số “{name}” phải là ngày dạng YYYY-MM-DD (nhận được “{raw}”)."
        ) from None


#: (lowest, highest) of each whole-number parameter
INT_RANGES = {"year": (2000, 2100), "number": (1, 12), "top": (1, 10_000)}


def _int(name: str, default: int | None = None) -> int | None:
    low, high = INT_RANGES.get(name, (0, fields.MAX_ID))
    try:
        value = fields.parse_int(request.args.get(name), name, low, high)
    except fields.FieldError as exc:  # a parameter of the URL: a bad request (400)
        raise NtmError(exc.user_msg, details=exc.details) from None
    return default if value is None else value


def _period() -> Period:
    kind = request.args.get("kind")
    if kind:
        year, number = _int("year"), _int("number", 1) or 1
        if year is None:
            raise NtmError("Thiếu tham số “year” cho kỳ báo cáo.")
        makers = {"month": Period.month, "quarter": Period.quarter, "half": Period.half}
        if kind == "year":
            return Period.year(year)
        if kind not in makers:
            raise NtmError("Tham số “kind” phải là month, quarter, half hoặc year.")
        return makers[kind](year, number)
    return Period.between(_day("start"), _day("end"))


def _figures_json(f: CoverageFigures) -> dict:
    return {
        "activities": f.activities,
        "participants": f.participants,
        "workdays": f.workdays,
        "funds_vnd": f.funds_vnd,
        "last_activity_date": f.last_activity_date.isoformat() if f.last_activity_date else None,
        "days_since_last": f.days_since_last,
        "quantities": [q._asdict() for q in f.quantities],
        "criteria": [c._asdict() for c in f.criteria],
    }


def _commune_json(c: CommuneCoverage) -> dict:
    return {
        "unit_id": c.unit_id,
        "code": c.code,
        "name": c.name,
        **_figures_json(c),
        "via_old_units": [
            {"unit_id": n.unit_id, "name": n.name, "activities": n.activities, "label": n.label}
            for n in c.via_old_units
        ],
    }


def _period_json(period: Period) -> dict:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label}


@bp.get("/coverage")
def coverage():
    session, period, list_id = get_session(), _period(), _int("list")
    rows = commune_coverage(session, period)
    found = gaps(session, period, list_id, rows)
    return jsonify(
        period=_period_json(period),
        communes=[_commune_json(c) for c in rows],
        list=_figures_json(list_coverage(session, period, list_id)) if list_id else None,
        gaps={
            "no_activity": [c.unit_id for c in found.no_activity],
            "unmet_not_addressed": [dataclasses.asdict(g) for g in found.unmet_not_addressed],
            "crowded": [c.unit_id for c in found.crowded],
            "waiting": [c.unit_id for c in found.waiting],
            "mean_activities": found.mean_activities,
            "imbalance": found.imbalance,
        },
    )


@bp.get("/coverage.xlsx")
def coverage_xlsx():
    period, list_id = _period(), _int("list")
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(get_session(), period, Path(folder) / "coverage.xlsx", list_id)
        data = path.read_bytes()
    name = f"bao-cao-do-phu-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return Response(
        data,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _weights() -> dict[str, str]:
    return {name: request.args[name] for name in ranking.DEFAULT_WEIGHTS if name in request.args}


def _ranked_json(r: ranking.RankedCommune) -> dict:
    return {
        "unit_id": r.unit_id,
        "name": r.name,
        "code": r.code,
        "rank": r.rank,
        "score": r.score,
        "completeness": r.completeness,
        "normalised": r.normalised,
        "missing": r.missing,
        "contributions": [{**dataclasses.asdict(c), "points": c.points} for c in r.contributions],
    }


@bp.get("/ranking")
def ranking_list():
    day = _day("day", dt.date.today())
    weights = ranking.check_weights(_weights())
    rows = ranking.rank(get_session(), day, weights)
    return jsonify(
        day=day.isoformat(),
        weights=weights,
        labels=ranking.FACTOR_LABELS,
        communes=[_ranked_json(r) for r in rows],
    )


@bp.post("/ranking/to-priority-list/<int:list_id>")
def add_ranked_to_priority_list(list_id: int):
    body = json_object()
    top_n, min_score = body.get("top"), body.get("min_score")
    if (top_n is None) == (min_score is None):
        raise NtmError(
            "Gửi đúng một trong hai trường “top” (số xã) hoặc “min_score” (điểm tối thiểu)."
        )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise NtmError("Trường “top” phải là số nguyên dương.")
    if min_score is not None and (
        isinstance(min_score, bool) or not isinstance(min_score, int | float)
    ):
        raise NtmError("Trường “min_score” phải là một số.")
    weights = body.get("weights") or {}
    if not isinstance(weights, dict):
        raise NtmError("Trường “weights” phải là một đối tượng {yếu tố: trọng số}.")
    try:
        day = dt.date.fromisoformat(body["day"]) if body.get("day") else dt.date.today()
    except (TypeError, ValueError):
        raise NtmError("Trường “day” phải là ngày dạng YYYY-MM-DD.") from None
    session = get_session()
    rows = ranking.rank(session, day, weights)
    if top_n is not None:
        ids = ranking.top(rows, top_n)
    else:
        ids = ranking.above(rows, float(min_score or 0))
    if not ids:
        raise NtmError("Không có xã nào đạt điểm tối thiểu đã chọn.")
    reason = body.get("reason") or "Thêm từ bảng xếp hạng ưu tiên"
    result = ranking.add_to_list(
        session, list_id, ids, version=body.get("version"), by=current_user_name(), reason=reason
    )
    session.commit()
    return jsonify(added=result.added, skipped=result.skipped)


def _balance_json(balance: sponsorship_balance.Balance) -> dict:
    return {
        "loads": [
            {
                "department_id": x.department_id,
                "name": x.name,
                "communes": x.communes,
                "unit_ids": x.unit_ids,
                "weighted_load": x.weighted_load,
                "communes_missing_data": x.communes_missing_data,
            }
            for x in balance.loads
        ],
        "unsponsored_priority": [dataclasses.asdict(w) for w in balance.unsponsored_priority],
        "several_sponsors": [
            {"unit_id": w.unit_id, "name": w.name, "department_ids": ids}
            for w, ids in balance.several_sponsors
        ],
    }


@bp.get("/sponsorship/balance")
def sponsorship_balance_view():
    session, day, list_id = get_session(), _day("day", dt.date.today()), _int("list")
    plan = sponsorship_balance.suggest(session, day, list_id)
    return jsonify(
        day=day.isoformat(),
        weights=sponsorship_balance.BALANCE_WEIGHTS,
        **_balance_json(sponsorship_balance.balance(session, day, list_id)),
        suggestion={
            "assignments": [dataclasses.asdict(a) for a in plan.assignments],
            "loads_after": {str(k): v for k, v in plan.loads_after.items()},
            "unassigned": plan.unassigned,
        },
    )


@bp.get("/sponsorship/match/<int:unit_id>")
def sponsorship_match(unit_id: int):
    day = _day("day", dt.date.today())
    found = sponsorship_balance.match(get_session(), unit_id, day)
    return jsonify(
        unit_id=found.unit_id,
        day=day.isoformat(),
        sponsor_ids=list(found.sponsor_ids),
        sponsor_fits=found.sponsor_fits,
        criteria=[dataclasses.asdict(c) for c in found.criteria],
    )


@bp.get("/sponsorship/area/<int:department_id>")
def sponsorship_area(department_id: int):
    day = _day("day", dt.date.today())
    shape = sponsorship_balance.department_area(get_session(), department_id, day)
    feature = {
        "type": "Feature",
        "properties": {"department_id": department_id, "day": day.isoformat()},
        "geometry": mapping(shape) if shape is not None else None,
    }
    return jsonify(feature)
