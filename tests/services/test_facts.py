"""Recording and reading facts on both databases: history kept, unknowns unknown,
every write attributed and audited, bad input refused with its message."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from geo.errors import ConflictError
from geo.models import AdminUnit, AuditEvent, Classification, CriteriaSet, Criterion, Organisation
from services import facts
from services.fact_records import FactError

TODAY = dt.date(2026, 11, 26)
SET_2021 = "NTM_XA_2021_2025"
AFTER_MERGE = dt.date(2025, 9, 15)
BEFORE_MERGE = dt.date(2024, 5, 10)


def unit_id(session, code: str, day: dt.date) -> int:
    return session.scalars(
        sa.select(AdminUnit.id).where(
            AdminUnit.code == code,
            AdminUnit.level == "commune",
            sa.or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day),
            sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > day),
        )
    ).one()


def criterion_id(session, set_code: str, number: int) -> int:
    return session.scalars(
        sa.select(Criterion.id)
        .join(CriteriaSet)
        .where(CriteriaSet.code == set_code, Criterion.number == number)
    ).one()


def org_id(session, code: str) -> int:
    return session.scalars(sa.select(Organisation.id).where(Organisation.code == code)).one()


def audits(session, entity: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def dong_ha(seeded) -> int:
    """Phường Đông Hà (code 19333 since 01/07/2025)."""
    return unit_id(seeded, "19333", AFTER_MERGE)


# --- assessments ----------------------------------------------------------------------------


def test_later_assessment_is_current_and_history_keeps_both(seeded, dong_ha):
    roads = criterion_id(seeded, SET_2021, 2)
    first = facts.record_assessment(
        seeded, dong_ha, roads, "unmet", dt.date(2025, 8, 1), by="Lan", today=TODAY
    )
    second = facts.record_assessment(
        seeded, dong_ha, roads, "met", dt.date(2025, 10, 1), by="Minh", source="BC 12", today=TODAY
    )
    now = {s.number: s for s in facts.current_assessments(seeded, dong_ha, SET_2021, TODAY)}
    assert (now[2].status, now[2].assessed_on, now[2].recorded_by) == (
        "met",
        dt.date(2025, 10, 1),
        "Minh",
    )
    between = facts.current_assessments(seeded, dong_ha, SET_2021, dt.date(2025, 9, 1))
    assert between[1].status == "unmet"
    history = facts.assessment_history(seeded, dong_ha, roads)
    assert [h.id for h in history] == [second.id, first.id]
    event = audits(seeded, "criterion_assessment", second.id)[0]
    assert (event.action, event.by, event.unit_id, event.before) == (
        "create",
        "Minh",
        dong_ha,
        None,
    )
    assert event.after["status"] == "met" and event.after["assessed_on"] == "2025-10-01"


def test_correction_on_the_same_date_wins_and_the_old_row_stays(seeded, dong_ha):
    roads = criterion_id(seeded, SET_2021, 2)
    facts.record_assessment(seeded, dong_ha, roads, "met", AFTER_MERGE, by="Lan", today=TODAY)
    facts.record_assessment(seeded, dong_ha, roads, "unmet", AFTER_MERGE, by="Lan", today=TODAY)
    assert facts.current_assessments(seeded, dong_ha, SET_2021, TODAY)[1].status == "unmet"
    assert len(facts.assessment_history(seeded, dong_ha, roads)) == 2


def test_criteria_without_assessment_stay_unknown(seeded, dong_ha):
    facts.record_assessment(
        seeded,
        dong_ha,
        criterion_id(seeded, SET_2021, 5),
        "unknown",
        AFTER_MERGE,
        by="Lan",
        today=TODAY,
    )
    statuses = facts.current_assessments(seeded, dong_ha, SET_2021, TODAY)
    assert len(statuses) == 19
    assert {s.status for s in statuses} == {"unknown"}
    assert [s.number for s in statuses if s.has_data] == [5]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (dict(unit=999_999), "unit", "Không có xã nào mang mã số nội bộ 999999"),
        (dict(status="maybe"), "status", "Kết quả 'maybe' không hợp lệ"),
        (dict(day=dt.date(2027, 1, 5)), "assessed_on", "Ngày đánh giá 05/01/2027 ở tương lai"),
        (
            dict(day=dt.date(2021, 6, 1)),
            "assessed_on",
            "Ngày đánh giá 01/06/2021 nằm ngoài thời gian áp dụng của bộ tiêu chí QĐ 318",
        ),
        (dict(day=dt.date(2025, 3, 1)), "unit", "Phường Đông Hà không tồn tại vào ngày 01/03/2025"),
        (dict(by="  "), "by", "Thiếu tên người ghi nhận"),
    ],
)
def test_bad_assessments_are_refused(seeded, dong_ha, change, field, message):
    args = dict(unit=dong_ha, status="met", day=AFTER_MERGE, by="Lan") | change
    with pytest.raises(FactError) as caught:
        facts.record_assessment(
            seeded,
            args["unit"],
            criterion_id(seeded, SET_2021, 2),
            args["status"],
            args["day"],
            by=args["by"],
            today=TODAY,
        )
    assert caught.value.field == field
    assert message in caught.value.user_msg


def test_unknown_criterion_number_names_the_set(seeded):
    cset = facts.criteria_set_by_code(seeded, "NTM_XA_2026_2030")
    with pytest.raises(FactError, match="không có tiêu chí số 11 .chỉ có tiêu chí 1–10"):
        facts.find_criterion(seeded, cset, 11)


# --- NTM levels -----------------------------------------------------------------------------


def test_ntm_level_unknown_then_recorded_then_corrected(seeded, dong_ha):
    assert facts.current_ntm_level(seeded, dong_ha, 2026) is None
    facts.record_ntm_level(
        seeded, dong_ha, 2026, "registered", target_year=2027, by="Lan", today=TODAY
    )
    registered = facts.current_ntm_level(seeded, dong_ha, 2026)
    assert (registered.level, registered.target_level, registered.target_year) == (
        "registered",
        "standard",
        2027,
    )
    facts.record_ntm_level(seeded, dong_ha, 2026, "standard", by="Minh", today=TODAY)
    assert facts.current_ntm_level(seeded, dong_ha, 2026).level == "standard"
    assert [r.level for r in facts.ntm_level_history(seeded, dong_ha) if r.year == 2026] == [
        "standard",
        "registered",
    ]
    assert facts.current_ntm_level(seeded, dong_ha, 2024) is None


@pytest.mark.parametrize(
    ("year", "level", "target", "field", "message"),
    [
        (2026, "registered", None, "target_year", "cần năm mục tiêu"),
        (2027, "standard", None, "year", "Năm 2027 phải từ 2010 đến 2026"),
        (2026, "standard", 2027, "target_year", "chỉ dùng với mức 'đăng ký'"),
        (2026, "excellent", None, "level", "Mức 'excellent' không hợp lệ"),
        (2024, "standard", None, "unit", "không tồn tại trong năm 2024"),
    ],
)
def test_bad_ntm_levels_are_refused(seeded, dong_ha, year, level, target, field, message):
    with pytest.raises(FactError) as caught:
        facts.record_ntm_level(
            seeded, dong_ha, year, level, target_year=target, by="Lan", today=TODAY
        )
    assert (caught.value.field, message in caught.value.user_msg) == (field, True)


# --- classifications ------------------------------------------------------------------------


def test_planner_corrects_a_flag_and_the_old_row_is_superseded(seeded, dong_ha):
    assert facts.classifications_of(seeded, dong_ha, TODAY)["mountainous"].value == "false"
    row = facts.record_classification(
        seeded,
        dong_ha,
        "mountainous",
        "true",
        dt.date(2025, 7, 1),
        by="Lan",
        legal_basis="QĐ 861/QĐ-TTg 04/06/2021",
    )
    flag = facts.classifications_of(seeded, dong_ha, TODAY)["mountainous"]
    assert (flag.value, flag.legal_basis) == ("true", "QĐ 861/QĐ-TTg 04/06/2021")
    history = facts.classification_history(seeded, dong_ha, "mountainous")
    assert [h.id for h in history][0] == row.id and len(history) == 2
    old = history[1]
    assert old.value == "false" and old.superseded_at is not None
    event = audits(seeded, "classification", old.id)[0]
    assert event.action == "supersede" and event.before["superseded_at"] is None
    assert event.after["superseded_at"] is not None


def test_a_narrower_period_overrides_only_within_it(seeded, dong_ha):
    facts.record_classification(
        seeded,
        dong_ha,
        "coastal_sandy",
        "true",
        dt.date(2026, 1, 1),
        dt.date(2026, 7, 1),
        by="Lan",
        legal_basis="QĐ thử",
    )
    assert (
        facts.classifications_of(seeded, dong_ha, dt.date(2026, 3, 1))["coastal_sandy"].value
        == "true"
    )
    assert (
        facts.classifications_of(seeded, dong_ha, dt.date(2026, 8, 1))["coastal_sandy"].value
        == "false"
    )
    superseded = seeded.scalar(
        sa.select(sa.func.count())
        .select_from(Classification)
        .where(Classification.unit_id == dong_ha, Classification.superseded_at.is_not(None))
    )
    assert superseded == 0


def test_unknown_classification_needs_no_legal_basis(seeded, dong_ha):
    facts.record_classification(
        seeded, dong_ha, "commune_group", None, dt.date(2026, 2, 15), by="Lan"
    )
    assert facts.classifications_of(seeded, dong_ha, TODAY)["commune_group"].value is None


@pytest.mark.parametrize(
    ("flag", "value", "end", "basis", "field", "message"),
    [
        ("mountainous", "1", None, "QĐ 1", "value", "chọn có, không hoặc chưa rõ"),
        ("commune_group", "4", None, "QĐ 1", "value", "chọn 1, 2, 3 hoặc chưa rõ"),
        ("hilly", "true", None, "QĐ 1", "flag", "Loại phân loại 'hilly' không hợp lệ"),
        ("island", "true", None, None, "legal_basis", "Cần ghi căn cứ pháp lý"),
        ("island", "true", dt.date(2025, 1, 1), "QĐ 1", "period_to", "phải sau ngày bắt đầu"),
    ],
)
def test_bad_classifications_are_refused(seeded, dong_ha, flag, value, end, basis, field, message):
    with pytest.raises(FactError) as caught:
        facts.record_classification(
            seeded, dong_ha, flag, value, dt.date(2025, 7, 1), end, by="Lan", legal_basis=basis
        )
    assert caught.value.field == field and message in caught.value.user_msg


# --- sponsorships ---------------------------------------------------------------------------


def test_sponsorship_started_ended_and_kept(seeded, dong_ha):
    agri = org_id(seeded, "QT44-SNNMT")
    row = facts.start_sponsorship(
        seeded, agri, dong_ha, dt.date(2025, 8, 1), by="Lan", note="<b>ghi chú</b>"
    )
    assert [s.id for s in facts.sponsorships_on(seeded, dt.date(2025, 9, 1))] == [row.id]
    with pytest.raises(FactError, match="đã đỡ đầu Phường Đông Hà từ 01/08/2025"):
        facts.start_sponsorship(seeded, agri, dong_ha, dt.date(2026, 1, 1), by="Lan")
    ended = facts.end_sponsorship(seeded, row.id, dt.date(2026, 1, 1), by="Minh", version=1)
    assert (ended.valid_to, ended.ended_by, ended.version) == (dt.date(2026, 1, 1), "Minh", 2)
    assert facts.sponsorships_on(seeded, dt.date(2026, 2, 1)) == []
    assert [s.id for s in facts.sponsorships_on(seeded, dt.date(2025, 12, 31))] == [row.id]
    again = facts.start_sponsorship(seeded, agri, dong_ha, dt.date(2026, 1, 1), by="Lan")
    assert [s.id for s in facts.sponsorship_history(seeded, dong_ha)] == [again.id, row.id]
    end_event = audits(seeded, "sponsorship", row.id)[-1]
    assert (end_event.action, end_event.by) == ("end", "Minh")
    assert end_event.before["valid_to"] is None and end_event.after["valid_to"] == "2026-01-01"
    assert end_event.after["note"] == "<b>ghi chú</b>"


def test_stale_version_is_a_conflict(seeded, dong_ha):
    row = facts.start_sponsorship(
        seeded, org_id(seeded, "QT44-SYT"), dong_ha, dt.date(2025, 8, 1), by="Lan"
    )
    facts.end_sponsorship(seeded, row.id, dt.date(2026, 1, 1), by="Minh", version=1)
    with pytest.raises(ConflictError):
        facts.end_sponsorship(seeded, row.id, dt.date(2026, 2, 1), by="Lan", version=1)
    with pytest.raises(FactError, match="đã kết thúc ngày 01/01/2026"):
        facts.end_sponsorship(seeded, row.id, dt.date(2026, 2, 1), by="Lan")


@pytest.mark.parametrize(
    ("dept", "start", "end", "field", "message"),
    [
        (
            "QT44-SYT",
            dt.date(2025, 8, 1),
            dt.date(2025, 7, 1),
            "valid_to",
            "Ngày kết thúc (01/07/2025) phải sau ngày bắt đầu (01/08/2025)",
        ),
        (
            "QT45-SGTVT-2020",
            dt.date(2025, 8, 1),
            None,
            "department",
            "không hoạt động vào ngày 01/08/2025; đơn vị kế thừa: Sở Xây dựng (QT45-SXD-2025)",
        ),
        ("QT45-SYT-2025", dt.date(2025, 3, 1), None, "unit", "không tồn tại vào ngày 01/03/2025"),
    ],
)
def test_bad_sponsorships_are_refused(seeded, dong_ha, dept, start, end, field, message):
    with pytest.raises(FactError) as caught:
        facts.start_sponsorship(seeded, org_id(seeded, dept), dong_ha, start, end, by="Lan")
    assert caught.value.field == field and message in caught.value.user_msg


# --- departments ----------------------------------------------------------------------------


def test_department_created_corrected_and_unchanged(seeded):
    org, action = facts.upsert_department(
        seeded, "QT44-BQL", "Ban Quản lý", by="Lan", valid_from=dt.date(2025, 7, 1)
    )
    assert action == "create" and org.kind == "department"
    assert (
        facts.upsert_department(
            seeded, "QT44-BQL", "Ban Quản lý", by="Lan", valid_from=dt.date(2025, 7, 1)
        )[1]
        == "unchanged"
    )
    _, action = facts.upsert_department(
        seeded,
        "QT44-BQL",
        "Ban Quản lý dự án",
        by="Minh",
        valid_from=dt.date(2025, 7, 1),
        valid_to=dt.date(2026, 1, 1),
        successor_code="QT44-SXD",
    )
    assert action == "update" and org.successor.code == "QT44-SXD"
    events = audits(seeded, "organisation", org.id)
    assert [e.action for e in events] == ["create", "update"]
    assert (events[1].before["name"], events[1].after["name"]) == (
        "Ban Quản lý",
        "Ban Quản lý dự án",
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (dict(code="", name="X"), "code", "Mã đơn vị phải có"),
        (dict(code="QT44-X", name=""), "name", "Tên đơn vị phải có"),
        (dict(code="QT44-X", name="X", short_name="x" * 81), "short_name", "tối đa 80 ký tự"),
        (
            dict(code="QT44-X", name="X", successor_code="NOPE"),
            "successor_code",
            "Không có đơn vị kế thừa mã 'NOPE'",
        ),
        (
            dict(
                code="QT44-X",
                name="X",
                valid_from=dt.date(2025, 7, 1),
                valid_to=dt.date(2025, 1, 1),
            ),
            "valid_to",
            "phải sau ngày bắt đầu",
        ),
    ],
)
def test_bad_departments_are_refused(seeded, kwargs, field, message):
    with pytest.raises(FactError) as caught:
        facts.upsert_department(seeded, by="Lan", **kwargs)
    assert caught.value.field == field and message in caught.value.user_msg


def test_a_working_group_cannot_sponsor(seeded, dong_ha):
    group = Organisation(code="TCT-1", name="Tổ công tác số 1", kind="working_group")
    seeded.add(group)
    seeded.flush()
    with pytest.raises(FactError, match=r"Tổ công tác số 1 \(TCT-1\) không phải sở, ban, ngành"):
        facts.start_sponsorship(seeded, group.id, dong_ha, dt.date(2025, 8, 1), by="Lan")
