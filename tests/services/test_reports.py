"""Periodic reports: figures against the database, the previous period, the Excel workbook."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from geo.models import (
    Activity,
    ActivityCommune,
    AdminUnit,
    Criterion,
    Organisation,
    PriorityList,
    PriorityListItem,
)
from services.periods import Period
from services.report_export import bar_chart_svg, report_workbook
from services.reports import figures_for, period_report, previous_period
from tests.hostile_strings import HOSTILE_STRINGS

PERIOD = Period.quarter(2026, 1)  # 01/01/2026 - 31/03/2026
SAT1, SAT2 = dt.date(2026, 1, 10), dt.date(2026, 2, 14)  # Saturdays
WEDNESDAY = dt.date(2026, 3, 4)


def _commune(seeded, name: str) -> int:
    return seeded.scalars(
        sa.select(AdminUnit.id).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _add(seeded, day, type_code, unit_id, organiser_id=None, **facts) -> Activity:
    activity = Activity(activity_date=day, type_code=type_code, organiser_id=organiser_id, **facts)
    activity.communes.append(ActivityCommune(unit_id=unit_id))
    seeded.add(activity)
    return activity


@pytest.fixture
def scenario(seeded):
    dept = seeded.scalars(
        sa.select(Organisation).where(Organisation.kind == "department").limit(1)
    ).one()
    vinh_linh, dakrong = _commune(seeded, "Xã Vĩnh Linh"), _commune(seeded, "Xã Đakrông")
    criterion = seeded.scalars(sa.select(Criterion).order_by(Criterion.id).limit(1)).one()
    a = _add(seeded, SAT1, "ROAD_REPAIR", vinh_linh, dept.id, participants=40, workdays=12.5,
             quantity=1.5, quantity_unit="km", funds_vnd=5_000_000)  # fmt: skip
    a.criteria.append(criterion)
    _add(
        seeded,
        SAT1,
        "ROAD_REPAIR",
        dakrong,
        None,
        participants=10,
        quantity=0.5,
        quantity_unit="km",
    )
    _add(
        seeded,
        SAT2,
        "ROAD_REPAIR",
        dakrong,
        dept.id,
        participants=25,
        workdays=5.0,
        funds_vnd=1_000_000,
    )
    _add(seeded, WEDNESDAY, "ROAD_REPAIR", vinh_linh, None, participants=5)
    _add(
        seeded, dt.date(2025, 12, 6), "ROAD_REPAIR", vinh_linh, None, participants=7
    )  # previous period
    gone = _add(seeded, SAT2, "ROAD_REPAIR", vinh_linh, None, participants=1000)
    gone.deleted_at = dt.datetime(2026, 3, 1)
    plist = PriorityList(name="Quý I", period_from=PERIOD.start, period_to=PERIOD.end)
    plist.items.append(PriorityListItem(unit_id=dakrong, added_by="test"))
    seeded.add(plist)
    seeded.flush()
    return {"dept": dept, "vinh_linh": vinh_linh, "dakrong": dakrong, "criterion": criterion}


def _db_sum(seeded, column, period: Period, organiser_id=None):
    where = [
        Activity.deleted_at.is_(None),
        Activity.activity_date.between(period.start, period.end),
    ]
    if organiser_id:
        where.append(Activity.organiser_id == organiser_id)
    return seeded.scalar(sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(*where))


def test_province_figures(seeded, scenario):
    figures = figures_for(seeded, PERIOD)
    assert (
        figures.activities == 4 and figures.saturdays == 2
    )  # the Wednesday is no Saturday session
    assert figures.participants == 80 == _db_sum(seeded, Activity.participants, PERIOD)
    assert figures.workdays == pytest.approx(17.5)
    assert figures.funds_vnd == 6_000_000
    assert figures.communes_reached == 2 and figures.priority_communes_reached == 1
    road = next(t for t in figures.types if t.code == "ROAD_REPAIR")
    assert road.activities == 4 and road.quantity == pytest.approx(2.0) and road.unit_of_measure
    assert [c.activities for c in figures.criteria] == [1]
    assert sum(n for _, n in figures.by_month) == 4


def test_department_and_previous_period(seeded, scenario):
    dept = scenario["dept"]
    report = period_report(seeded, PERIOD, dept.id)
    assert report.current.unit_name == dept.name
    assert report.current.activities == 2 and report.current.participants == 65
    assert report.previous.period.end == dt.date(2025, 12, 31)
    assert report.previous.period.days == PERIOD.days
    whole = period_report(seeded, PERIOD)
    assert whole.previous.activities == 1 and whole.change("activities") == pytest.approx(3.0)
    assert previous_period(Period.month(2026, 3)).start == dt.date(2026, 1, 29)  # 31 days


def test_workbook_totals_equal_the_database(seeded, scenario):
    report = period_report(seeded, PERIOD)
    wb = openpyxl.load_workbook(io.BytesIO(report_workbook(report)))
    try:
        summary = wb["Tổng hợp"]
        values = {
            summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value
            for r in range(5, 12)
        }
        assert values["Số hoạt động"] == seeded.scalar(
            sa.select(sa.func.count(Activity.id)).where(
                Activity.deleted_at.is_(None),
                Activity.activity_date.between(PERIOD.start, PERIOD.end),
            )
        )
        assert values["Số lượt người tham gia"] == _db_sum(seeded, Activity.participants, PERIOD)
        assert values["Kinh phí huy động (đồng)"] == _db_sum(seeded, Activity.funds_vnd, PERIOD)
        assert values["Số ngày công"] == pytest.approx(
            float(_db_sum(seeded, Activity.workdays, PERIOD))
        )
        assert (
            summary.cell(row=5, column=3).value == 1
        )  # the previous period had one Saturday, 06/12/2025
        assert summary["B7"].number_format == "#,##0"
        types = wb["Theo loại việc"]
        total_row = types.max_row
        assert types.cell(row=total_row, column=2).value == 4
        assert types.cell(row=1, column=1).value == "Loại việc"
    finally:
        wb.close()


def test_hostile_unit_name_stays_text_in_the_workbook(seeded, scenario):
    dept = scenario["dept"]
    dept.name = '=HYPERLINK("http://x")'
    seeded.flush()
    wb = openpyxl.load_workbook(io.BytesIO(report_workbook(period_report(seeded, PERIOD, dept.id))))
    try:
        assert wb["Tổng hợp"]["A1"].data_type == "s"
        assert "=HYPERLINK" in wb["Tổng hợp"]["A1"].value
    finally:
        wb.close()
    for text in HOSTILE_STRINGS[:5]:
        assert "<script" not in bar_chart_svg([(text, 1)], text).replace("&lt;script", "")


def test_unit_report_carries_plan_against_actual(seeded):
    """Sở Xây dựng plans two road repairs in January 2026 (2 km on 10/01, 3 km on 17/01); the
    first is done with 1.5 km, the second missed. The report of January says: planned 2 items,
    5 km; done 1, 1.5 km; missed 1 — in the service, the workbook and (per unit only)."""
    from services import plan_progress, plans

    org = seeded.scalars(sa.select(Organisation).where(Organisation.code == "QT44-SXD")).one()
    january = Period.month(2026, 1)
    plan = plans.create_plan(
        seeded,
        {"organisation_id": org.id, "period_from": "2026-01-01", "period_to": "2026-01-31",
         "title": "Kế hoạch tháng 1", "kind": "unit"},
        "test",
    )  # fmt: skip
    items = [
        plans.add_item(
            seeded,
            plan.id,
            {
                "planned_date": day,
                "unit_id": _commune(seeded, "Xã Vĩnh Linh"),
                "type_code": "ROAD_REPAIR",
                "planned_quantity": km,
            },
            "test",
        )  # fmt: skip
        for day, km in (("10/01/2026", 2), ("17/01/2026", 3))
    ]
    form = plan_progress.activity_prefill(seeded, items[0].id, today=dt.date(2026, 11, 26))
    plan_progress.record_activity(
        seeded, items[0].id, {**form, "quantity": 1.5}, "test", today=dt.date(2026, 11, 26)
    )
    plan_progress.mark_missed(seeded, items[1].id, "Mưa lớn", "test", items[1].version)

    report = period_report(seeded, january, org.id)
    road = next(r for r in report.plan.rows if r["type_code"] == "ROAD_REPAIR")
    assert (road["planned"], road["planned_quantity"], road["done"], road["done_quantity"]) == (
        2, 5.0, 1, 1.5)  # fmt: skip
    assert road["missed"] == 1
    assert period_report(seeded, january).plan is None  # the province has no single plan

    wb = openpyxl.load_workbook(io.BytesIO(report_workbook(report)))
    try:
        sheet = wb["Kế hoạch – thực hiện"]
        headers = [c.value for c in sheet[1]]
        row = next(
            r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == road["type_name"]
        )
        assert row[headers.index("Khối lượng kế hoạch")] == 5.0
        assert row[headers.index("Khối lượng đã làm")] == 1.5
        assert row[headers.index("Không làm")] == 1
    finally:
        wb.close()
