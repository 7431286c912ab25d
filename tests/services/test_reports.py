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
