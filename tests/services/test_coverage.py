"""Coverage and gaps against the hand-computed scenario of ``analysis_scenario``.

Quarter III/2026 (01/07–30/09/2026), by hand:

- A "Xã An": a1, a2, a3, a4 -> 4 activities; participants 40+25+30+10 = 105;
  workdays 40+12.5+15+5 = 72.5; money 50.000.000+2.000.000+(empty)+1.000.000 = 53.000.000;
  ROAD 1.2+0.5 = 1.7 km (2), WASTE 3+2 = 5 tấn (2); criteria K1, K2;
  last 15/08/2026 -> 16+30 = 46 days before 30/09.
- B "Xã Bình": a1 (the line crosses A|B, counts in full in both), a5 -> 2; participants
  40 + (empty) = 40; workdays 40+8 = 48; money 50.000.000+0; ROAD 1.2 km (1), WASTE 1.5 tấn (1);
  criteria K1; last 05/09 -> 25 days.
- C "Xã Cồn": none in the quarter (a6 was 20/06) -> 0, last 20/06 -> 10+31+31+30 = 102 days.
- D "Xã Đồng": only a8, deleted -> 0 activities, never visited -> None (not 0).
- List L = {B, C, D}: a1, a5 once each -> 2 activities, 40 people, 48 workdays, 50.000.000,
  last 05/09 -> 25 days.

01/01/2022–30/09/2026 (across the reorganisation): A also gets a7 (reported in the
old "Phường Đông Lễ", carried to A by lineage) -> 5 activities, 155 people, 97.5 workdays,
56.000.000, WASTE 3+2+4 = 9 tấn (3); C gets a6 -> 1.

Gaps of Q3: L's communes with no activity: C, D. Unmet on 30/09 and not addressed:
A K1 is addressed by a1/a3; B K1 addressed by a1, B K2 and K3 not; C K2 not -> [B K2, B K3, C K2].
Mean activities = (4+2+0+0)/4 = 1.5; crowded threshold max(2, 2×1.5) = 3 -> [A].
Waiting (difficult or in L, zero activities): D never visited first, then C (102 days).
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from geo.models import Activity, ActivityCommune
from services import coverage
from services.coverage_export import write_workbook
from services.coverage_gaps import gaps
from services.periods import Period, PeriodError
from tests.services.analysis_scenario import build

Q3 = Period.quarter(2026, 3)


@pytest.fixture
def scenario(session):
    return build(session)


def _by_key(rows, scenario):
    ids = {v: k for k, v in scenario.units.items()}
    return {ids[r.unit_id]: r for r in rows}


def _quantities(row):
    return {(q.type_code, q.unit_of_measure): (q.quantity, q.activities) for q in row.quantities}


def test_period_labels_and_bounds():
    assert Q3.label == "Quý III/2026" and (Q3.start, Q3.end) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert Period.month(2026, 2).end == dt.date(2026, 2, 28)
    assert Period.month(2024, 2).label == "Tháng 2/2024" and Period.month(2024, 2).days == 29
    assert Period.half(2026, 2).label == "6 tháng cuối năm 2026"
    assert Period.year(2026).days == 365
    assert (
        Period.between(dt.date(2026, 7, 1), dt.date(2026, 8, 31)).label
        == "Từ 01/07/2026 đến 31/08/2026"
    )
    assert Period.containing("quarter", dt.date(2026, 11, 26)).label == "Quý IV/2026"
    with pytest.raises(PeriodError, match="Quý phải từ 1 đến 4"):
        Period.quarter(2026, 5)
    with pytest.raises(PeriodError, match="phải trước"):
        Period.between(dt.date(2026, 2, 1), dt.date(2026, 1, 1))


def test_quarter_per_commune(session, scenario):
    rows = _by_key(coverage.commune_coverage(session, Q3), scenario)
    assert set(rows) == {"A", "B", "C", "D"}  # old units are not valid on 30/09/2026
    a, b, c, d = rows["A"], rows["B"], rows["C"], rows["D"]
    assert (a.activities, a.participants, a.workdays, a.funds_vnd) == (4, 105, 72.5, 53_000_000)
    assert _quantities(a) == {("ROAD", "km"): (pytest.approx(1.7), 2), ("WASTE", "tấn"): (5, 2)}
    assert [x.code for x in a.criteria] == ["K1", "K2"]
    assert (a.last_activity_date, a.days_since_last) == (dt.date(2026, 8, 15), 46)
    assert a.via_old_units == []
    assert (b.activities, b.participants, b.workdays, b.funds_vnd) == (2, 40, 48, 50_000_000)
    assert _quantities(b) == {("ROAD", "km"): (1.2, 1), ("WASTE", "tấn"): (1.5, 1)}
    assert [x.code for x in b.criteria] == ["K1"] and b.days_since_last == 25
    assert (c.activities, c.participants, c.funds_vnd, c.quantities) == (0, 0, 0, [])
    assert (c.last_activity_date, c.days_since_last) == (dt.date(2026, 6, 20), 102)
    assert (d.activities, d.last_activity_date, d.days_since_last) == (0, None, None)


def test_priority_list_totals_count_each_activity_once(session, scenario):
    totals = coverage.list_coverage(session, Q3, scenario.list_id)
    assert (totals.activities, totals.participants, totals.workdays, totals.funds_vnd) == (
        2,
        40,
        48,
        50_000_000,
    )
    assert {(q.type_code, q.quantity) for q in totals.quantities} == {("ROAD", 1.2), ("WASTE", 1.5)}
    assert [x.code for x in totals.criteria] == ["K1"]
    assert totals.days_since_last == 25


def test_old_unit_counts_through_lineage_and_stays_visible(session, scenario):
    span = Period.between(dt.date(2022, 1, 1), Q3.end)
    rows = _by_key(coverage.commune_coverage(session, span), scenario)
    a = rows["A"]
    assert (a.activities, a.participants, a.workdays, a.funds_vnd) == (5, 155, 97.5, 56_000_000)
    assert _quantities(a)[("WASTE", "tấn")] == (9, 3)
    assert [(n.name, n.activities, n.label) for n in a.via_old_units] == [
        ("Phường Đông Lễ", 1, "ghi nhận tại: Phường Đông Lễ (cũ)")
    ]
    assert rows["C"].activities == 1 and rows["B"].activities == 2
    lines = coverage.activity_lines(session, scenario.units["A"], span)
    assert [(ln.activity_id, ln.recorded_in_label) for ln in lines][0] == (
        scenario.activities["a7"],
        "ghi nhận tại: Phường Đông Lễ (cũ)",
    )
    assert [ln.recorded_in for ln in lines[1:]] == [None] * 4


def test_activity_in_two_old_units_of_one_commune_counts_once(session, scenario):
    """A 2022 road across "Phường Đông Lễ" and a third old unit "Xã Hải Lâm", both now in A:
    A gets 5 + 1 = 6 activities (not 7) and 155 + 7 = 162 participants; both old units show."""
    from geo.models import Activity, ActivityCommune, AdminUnit, UnitLineage

    reorg = dt.date(2025, 7, 1)
    third = AdminUnit(name="Xã Hải Lâm", level="commune", kind="xa", valid_to=reorg)
    session.add(third)
    session.flush()
    session.add(
        UnitLineage(
            old_unit_id=third.id,
            new_unit_id=scenario.units["A"],
            effective_date=reorg,
            change_type="merge_new",
        )
    )
    road = Activity(activity_date=dt.date(2022, 9, 3), type_code="ROAD", participants=7)
    session.add(road)
    session.flush()
    for unit_id in (scenario.units["O1"], third.id):
        session.add(ActivityCommune(activity_id=road.id, unit_id=unit_id))
    session.flush()
    span = Period.between(dt.date(2022, 1, 1), Q3.end)
    a = _by_key(coverage.commune_coverage(session, span), scenario)["A"]
    assert (a.activities, a.participants) == (6, 162)
    assert [(n.name, n.activities) for n in a.via_old_units] == [
        ("Phường Đông Lễ", 2),
        ("Xã Hải Lâm", 1),
    ]
    lines = coverage.activity_lines(session, scenario.units["A"], span)
    assert [ln.activity_id for ln in lines].count(road.id) == 1


def test_activity_in_a_lasting_commune_and_the_old_unit_it_absorbed_counts_once(session, scenario):
    """ "Xã Vẫn" existed before and after 2025 and absorbed "Xã Cũ": a 2022 road across both
    counts once for Xã Vẫn (1 activity, 9 participants), "Xã Cũ" shown as where it was found."""
    from geo.models import Activity, ActivityCommune, AdminUnit, UnitLineage

    reorg = dt.date(2025, 7, 1)
    lasting = AdminUnit(name="Xã Vẫn", level="commune", kind="xa")
    absorbed = AdminUnit(name="Xã Cũ", level="commune", kind="xa", valid_to=reorg)
    session.add_all([lasting, absorbed])
    session.flush()
    session.add(
        UnitLineage(
            old_unit_id=absorbed.id,
            new_unit_id=lasting.id,
            effective_date=reorg,
            change_type="absorbed_into",
        )
    )
    road = Activity(activity_date=dt.date(2022, 9, 3), type_code="ROAD", participants=9)
    session.add(road)
    session.flush()
    for unit_id in (lasting.id, absorbed.id):
        session.add(ActivityCommune(activity_id=road.id, unit_id=unit_id))
    session.flush()
    span = Period.between(dt.date(2022, 1, 1), Q3.end)
    row = coverage.commune_coverage(session, span, [lasting.id])[0]
    assert (row.name, row.activities, row.participants) == ("Xã Vẫn", 1, 9)
    assert [(n.name, n.activities) for n in row.via_old_units] == [("Xã Cũ", 1)]


def test_last_activity_date_passes_deleted_activities_and_follows_lineage(session, scenario):
    """By hand: on 30/09/2026 A 15/08 (a4), B 05/09 (a5), C 20/06 (a6), D none (a8 deleted).
    On 31/12/2025 only A has one: 07/05/2022 (a7, reported in the old O1, carried by lineage).
    A newer activity in C that is deleted leaves C at 20/06; moving a6 to 22/06 moves C."""
    units, end = scenario.units, Q3.end
    newer = Activity(
        activity_date=dt.date(2026, 9, 25), type_code="ROAD", deleted_at=dt.datetime(2026, 9, 26)
    )
    newer.communes.append(ActivityCommune(unit_id=units["C"]))
    session.add(newer)
    session.flush()
    by_key = {k: coverage.last_activity_dates(session, end).get(u) for k, u in units.items()}
    assert by_key == {
        "O1": None,
        "O2": None,
        "A": dt.date(2026, 8, 15),
        "B": dt.date(2026, 9, 5),
        "C": dt.date(2026, 6, 20),
        "D": None,
    }
    assert coverage.last_activity_dates(session, dt.date(2025, 12, 31)) == {
        units["A"]: dt.date(2022, 5, 7)
    }
    session.get(Activity, scenario.activities["a6"]).activity_date = dt.date(2026, 6, 22)
    session.flush()
    assert coverage.last_activity_dates(session, end, [units["C"], units["D"]]) == {
        units["C"]: dt.date(2026, 6, 22)
    }


def test_year_2022_counts_in_the_old_unit_itself(session, scenario):
    rows = coverage.commune_coverage(session, Period.year(2022))
    assert [(r.name, r.activities, r.via_old_units) for r in rows] == [
        ("Phường Đông Lễ", 1, []),
        ("Xã Hải Thọ", 0, []),
    ]


def test_gaps(session, scenario):
    found = gaps(session, Q3, scenario.list_id)
    key = {v: k for k, v in scenario.units.items()}
    assert [key[r.unit_id] for r in found.no_activity] == ["C", "D"]
    assert [(key[g.unit_id], g.criterion_code) for g in found.unmet_not_addressed] == [
        ("B", "K2"),
        ("B", "K3"),
        ("C", "K2"),
    ]
    assert found.mean_activities == 1.5
    assert [key[r.unit_id] for r in found.crowded] == ["A"]
    assert [key[r.unit_id] for r in found.waiting] == ["D", "C"]
    assert found.imbalance


def test_gaps_without_list_only_difficult_communes_wait(session, scenario):
    found = gaps(session, Q3)
    key = {v: k for k, v in scenario.units.items()}
    assert found.no_activity == []
    # D has no difficulty data, so without the list it is not known to be waiting
    assert [key[r.unit_id] for r in found.waiting] == ["C"]


def test_excel_export(session, scenario, tmp_path):
    from geo.models import AdminUnit

    session.get(AdminUnit, scenario.units["B"]).name = '=HYPERLINK("http://x","Xã Bình")'
    session.flush()
    path = tmp_path / "coverage.xlsx"
    write_workbook(session, Q3, path, list_id=scenario.list_id)
    book = openpyxl.load_workbook(path)
    try:
        sheet = book["Theo xã"]
        header = [c.value for c in sheet[1]]
        assert header[:5] == ["Xã", "Số hoạt động", "Lượt người", "Ngày công", "Kinh phí (đồng)"]
        rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
        assert rows["Xã An"][1:5] == (4, 105, 72.5, 53_000_000)
        assert rows["Xã Đồng"][header.index("Số ngày từ hoạt động gần nhất")] == "chưa có hoạt động"
        assert sheet.cell(row=2, column=5).number_format == "#,##0"
        typed = '\'=HYPERLINK("http://x","Xã Bình")'
        assert rows[typed][1] == 2  # a typed formula stays text
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        assert book["Khối lượng"].max_row == 1 + 4  # A: 2 types, B: 2 types
        gap_rows = list(book["Khoảng trống"].iter_rows(min_row=2, values_only=True))
        assert ("Tiêu chí chưa đạt chưa có hoạt động", typed, "K2 Môi trường") in [
            r[:3] for r in gap_rows
        ]
        assert book["Danh sách ưu tiên"]["B2"].value == 2
    finally:
        book.close()
