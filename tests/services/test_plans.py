"""Unit plans on both databases: plans and items, plan → activity, missed and moved items,
the province plan from sponsorships, and plan against actual on a hand-computed scenario."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from geo import schema
from geo.errors import ConflictError
from geo.models import Activity, AdminUnit, AuditEvent, Criterion, Organisation, PlanItem
from services import plan_progress as progress
from services import plans
from services.activities import ConfirmationNeeded, create_activity, delete_activity
from services.communes import communes_on
from services.facts import criteria_set_on, start_sponsorship
from services.periods import Period
from services.plan_figures import items_on, map_layer, next_saturday

BY = "Trần Thị Kế Hoạch"
TODAY = dt.date(2026, 11, 26)
SEPTEMBER = Period.month(2025, 9)  # Saturdays: 6, 13, 20, 27


def _org(session, code: str = "QT44-SXD") -> Organisation:
    return session.scalars(sa.select(Organisation).where(Organisation.code == code)).one()


def _unit(session, name: str) -> AdminUnit:
    return session.scalars(
        sa.select(AdminUnit).where(AdminUnit.name == name, AdminUnit.valid_to.is_(None))
    ).one()


def _point(session, name: str) -> dict:
    frame = communes_on(session, TODAY)
    p = frame.loc[frame["name"] == name, "geometry"].iloc[0].representative_point()
    return {"type": "Point", "coordinates": [p.x, p.y]}


def _plan(session, org=None, kind="unit", period=SEPTEMBER):
    org = org or _org(session)
    return plans.create_plan(
        session,
        {
            "organisation_id": org.id, "period_from": period.start.isoformat(),
            "period_to": period.end.isoformat(), "title": f"Kế hoạch {period.label}", "kind": kind,
        },
        BY,
    )  # fmt: skip


def _item(session, plan, day: str, quantity, commune="Xã Vĩnh Linh", **extra):
    data = {"planned_date": day, "unit_id": _unit(session, commune).id,
            "type_code": "ROAD_REPAIR", "planned_quantity": quantity, **extra}  # fmt: skip
    return plans.add_item(session, plan.id, data, BY)


def _activity(session, org, day: str, quantity, commune="Xã Vĩnh Linh"):
    data = {"activity_date": day, "type_code": "ROAD_REPAIR", "organiser_id": org.id,
            "quantity": quantity, "participants": 20, "geometry": _point(session, commune),
            "confirm_duplicate": True}  # fmt: skip
    return create_activity(session, data, BY, today=TODAY)


def _refused(session, plan, field: str, **data) -> str:
    base = {"planned_date": "06/09/2025", "unit_id": _unit(session, "Xã Vĩnh Linh").id,
            "type_code": "ROAD_REPAIR", "planned_quantity": 1}  # fmt: skip
    with pytest.raises(plans.PlanError) as caught:
        plans.add_item(session, plan.id, {**base, **data}, BY)
    found = [d for d in caught.value.details if d["field"] == field]
    assert found, caught.value.details
    return found[0]["message"]


# --- schema ---------------------------------------------------------------------------------


def test_migration_0004_downgrades_and_upgrades(empty_engine):
    schema.downgrade(empty_engine, "0003")
    try:
        assert "plan_item" not in sa.inspect(empty_engine).get_table_names()
    finally:
        schema.upgrade(empty_engine)
    names = set(sa.inspect(empty_engine).get_table_names())
    assert {"unit_plan", "plan_item", "plan_item_criterion", "plan_feed_token"} <= names
    assert schema.current_revision(empty_engine) == schema.head_revision()


# --- plans and items ------------------------------------------------------------------------


def test_plan_with_an_item_on_the_map(seeded):
    plan = _plan(seeded)
    cset = criteria_set_on(seeded, dt.date(2025, 9, 6))
    criterion = seeded.scalars(
        sa.select(Criterion).where(Criterion.criteria_set_id == cset.id, Criterion.number == 2)
    ).one()
    item = plans.add_item(
        seeded,
        plan.id,
        {"planned_date": "2025-09-06", "geometry": _point(seeded, "Xã Vĩnh Linh"),
         "type_code": "ROAD_REPAIR", "planned_quantity": "2,5", "village": "Thôn Tây",
         "lead_person": "Lê Văn Dẫn", "criteria_ids": [criterion.id]},
        BY,
    )  # fmt: skip
    assert item.unit.name == "Xã Vĩnh Linh", "the commune comes from the drawn point"
    assert item.planned_quantity == 2.5 and item.quantity_unit == "km"
    assert item.assignee_id == plan.organisation_id and item.status == "planned"
    assert [c.number for c in item.criteria] == [2]
    events = seeded.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "plan_item")).all()
    assert [(e.action, e.by, e.after["geometry"]["type"]) for e in events] == [
        ("create", BY, "Point")
    ]


def test_item_checks_in_vietnamese(seeded):
    plan = _plan(seeded)
    assert "ngoài kỳ kế hoạch" in _refused(seeded, plan, "planned_date", planned_date="04/10/2025")
    assert "không có loại công việc" in _refused(seeded, plan, "type_code", type_code="BAY")
    assert "không được âm" in _refused(seeded, plan, "planned_quantity", planned_quantity="-1")
    old = seeded.scalars(
        sa.select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.valid_to.is_not(None))
    ).first()
    assert "không tồn tại vào ngày" in _refused(seeded, plan, "unit_id", unit_id=old.id)
    outside = {"type": "Point", "coordinates": [105.0, 21.0]}
    assert "ngoài các xã" in _refused(seeded, plan, "geometry", geometry=outside, unit_id="")
    with pytest.raises(ConfirmationNeeded) as asked:
        _item(seeded, plan, "05/09/2025", 1)
    assert "thứ Sáu" in asked.value.user_msg and asked.value.confirm == "confirm_not_saturday"
    assert _item(seeded, plan, "05/09/2025", 1, confirm_not_saturday=True).id


def test_plan_checks(seeded):
    org = _org(seeded)
    with pytest.raises(plans.PlanError) as caught:
        plans.create_plan(
            seeded,
            {"organisation_id": org.id, "period_from": "30/09/2025", "period_to": "01/09/2025",
             "title": ""},
            BY,
        )  # fmt: skip
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"period_to", "title"}
    plan = _plan(seeded)
    _item(seeded, plan, "27/09/2025", 1)
    narrower = {"organisation_id": org.id, "period_from": "2025-09-01",
                "period_to": "2025-09-20", "title": "Ngắn hơn"}  # fmt: skip
    with pytest.raises(plans.PlanError, match="ngoài kỳ mới"):
        plans.update_plan(seeded, plan.id, narrower, BY, plan.version)
    with pytest.raises(ConflictError):
        plans.update_plan(seeded, plan.id, {**narrower, "period_to": "2025-09-30"}, BY, 99)


def test_item_edit_needs_the_version_seen(seeded):
    plan = _plan(seeded)
    item = _item(seeded, plan, "06/09/2025", 1)
    data = {"planned_date": "13/09/2025", "unit_id": item.unit_id, "type_code": "ROAD_REPAIR",
            "planned_quantity": 4}  # fmt: skip
    with pytest.raises(ConflictError):
        plans.update_item(seeded, item.id, data, BY, item.version + 1)
    plans.update_item(seeded, item.id, data, BY, item.version)
    assert (item.planned_date, item.planned_quantity, item.version) == (dt.date(2025, 9, 13), 4, 2)


# --- what became of an item -----------------------------------------------------------------


def test_item_becomes_an_activity_in_one_step(seeded):
    org = _org(seeded)
    item = _item(seeded, _plan(seeded, org), "06/09/2025", 2,
                 geometry=_point(seeded, "Xã Vĩnh Linh"))  # fmt: skip
    form = progress.activity_prefill(seeded, item.id, today=TODAY)
    assert form["activity_date"] == "2025-09-06" and form["organiser_id"] == org.id
    assert form["quantity"] == 2 and form["geometry"]["type"] == "Point"
    form.update(quantity=1.4, participants=30)
    activity = progress.record_activity(seeded, item.id, form, BY, today=TODAY)
    assert (item.status, item.activity_id, activity.quantity) == ("done", activity.id, 1.4)
    assert {c.unit.name for c in activity.communes} == {"Xã Vĩnh Linh"}
    with pytest.raises(plans.PlanError, match="đã thực hiện"):
        progress.record_activity(seeded, item.id, form, BY, today=TODAY)


def test_activity_of_an_item_is_organised_by_the_assignee(seeded):
    item = _item(seeded, _plan(seeded), "06/09/2025", 2)
    form = progress.activity_prefill(seeded, item.id, today=TODAY)
    form["organiser_id"] = _org(seeded, "QT44-VPDP").id
    with pytest.raises(plans.PlanError, match="được giao cho"):
        progress.record_activity(seeded, item.id, form, BY, today=TODAY)
    assert item.status == "planned" and item.activity_id is None


def test_future_item_prefills_today(seeded):
    period = Period.month(2026, 12)
    item = _item(seeded, _plan(seeded, period=period), "05/12/2026", 1)
    assert progress.activity_prefill(seeded, item.id, today=TODAY)["activity_date"] == "2026-11-26"


def test_missed_needs_a_reason(seeded):
    item = _item(seeded, _plan(seeded), "13/09/2025", 3)
    with pytest.raises(plans.PlanError, match="lý do"):
        progress.mark_missed(seeded, item.id, "  ", BY, item.version)
    progress.mark_missed(seeded, item.id, "Mưa lớn, đường ngập", BY, item.version)
    assert (item.status, item.missed_reason, item.updated_by) == (
        "missed", "Mưa lớn, đường ngập", BY,
    )  # fmt: skip
    with pytest.raises(plans.PlanError):
        progress.mark_missed(seeded, item.id, "lần nữa", BY, item.version)


def test_moved_item_links_to_its_new_day(seeded):
    plan = _plan(seeded)
    item = _item(seeded, plan, "20/09/2025", 1, village="Thôn Đông")
    with pytest.raises(plans.PlanError, match="ngoài kỳ kế hoạch"):
        progress.move_item(seeded, item.id, {"moved_to_date": "04/10/2025"}, BY, item.version)
    new = progress.move_item(seeded, item.id, {"moved_to_date": "27/09/2025"}, BY, item.version)
    assert (item.status, item.moved_to_id, item.moved_to_date) == (
        "moved", new.id, dt.date(2025, 9, 27),
    )  # fmt: skip
    assert (new.status, new.village, new.planned_quantity) == ("planned", "Thôn Đông", 1)
    actions = seeded.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.action)
        .where(AuditEvent.entity == "plan_item")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [(item.id, "create"), (new.id, "create"), (item.id, "update")]


def test_province_plan_assigns_sponsored_communes(seeded):
    office, dept = _org(seeded, "QT44-VPDP"), _org(seeded)
    for name in ("Xã Vĩnh Linh", "Xã Cồn Tiên"):
        start_sponsorship(seeded, dept.id, _unit(seeded, name).id, dt.date(2025, 8, 1), by=BY)
    plan = _plan(seeded, office, kind="province")
    tasks = plans.assign_sponsored_communes(
        seeded, plan.id, dept.id,
        {"planned_date": "13/09/2025", "type_code": "SUPPORT_VISIT", "deadline": "30/09/2025"},
        BY,
    )  # fmt: skip
    assert sorted(t.unit.name for t in tasks) == ["Xã Cồn Tiên", "Xã Vĩnh Linh"]
    assert {(t.assignee_id, t.deadline) for t in tasks} == {(dept.id, dt.date(2025, 9, 30))}
    with pytest.raises(plans.PlanError, match="trước ngày thực hiện"):
        plans.add_item(
            seeded, plan.id,
            {"planned_date": "13/09/2025", "unit_id": tasks[0].unit_id, "type_code": "ROAD_REPAIR",
             "assignee_id": dept.id, "deadline": "01/09/2025"},
            BY,
        )  # fmt: skip


# --- plan against actual --------------------------------------------------------------------


def test_plan_against_actual_hand_computed(seeded):
    """Sở Xây dựng, September 2025, road repair (km):

    - item A 06/09, 2 km → done; its activity: 1.4 km
    - item B 13/09, 3 km → missed (rain)
    - item C 20/09, 1 km → moved to 27/09 as item D (still open)
    - unplanned activity 13/09, 0.5 km; another unplanned one deleted; one on 04/10 (outside);
      one by another department (not this unit)
    - item E 20/09, waste collection, 2 t, open

    Road repair: planned = A + B + D = 3 items, 2 + 3 + 1 = 6 km (C is counted once, as D);
    done 1 item, 1.4 km; missed 1; moved 1; open 1 (D); unplanned 1 activity, 0.5 km.
    Waste: planned 1, 2 t; open 1. Totals of items: planned 4, done 1, missed 1, moved 1, open 2.
    """
    org, other = _org(seeded), _org(seeded, "QT44-VPDP")
    plan = _plan(seeded, org)
    a = _item(seeded, plan, "06/09/2025", 2)
    form = progress.activity_prefill(seeded, a.id, today=TODAY)
    progress.record_activity(seeded, a.id, {**form, "quantity": 1.4}, BY, today=TODAY)
    b = _item(seeded, plan, "13/09/2025", 3)
    progress.mark_missed(seeded, b.id, "Mưa lớn", BY, b.version)
    c = _item(seeded, plan, "20/09/2025", 1)
    progress.move_item(seeded, c.id, {"moved_to_date": "27/09/2025"}, BY, c.version)
    _item(seeded, plan, "20/09/2025", 2, type_code="WASTE_COLLECTION")
    _activity(seeded, org, "13/09/2025", 0.5, "Xã Cồn Tiên")
    gone = _activity(seeded, org, "20/09/2025", 9, "Xã Cồn Tiên")
    delete_activity(seeded, gone.id, BY)
    _activity(seeded, org, "04/10/2025", 7)
    _activity(seeded, other, "13/09/2025", 5)

    result = plans.plan_vs_actual(seeded, org.id, SEPTEMBER)
    rows = {r["type_code"]: r for r in result.rows}
    road = {k: rows["ROAD_REPAIR"][k] for k in
            ("planned", "planned_quantity", "done", "done_quantity", "missed", "moved", "open",
             "unplanned", "unplanned_quantity")}  # fmt: skip
    assert road == {"planned": 3, "planned_quantity": 6.0, "done": 1, "done_quantity": 1.4,
                    "missed": 1, "moved": 1, "open": 1, "unplanned": 1,
                    "unplanned_quantity": 0.5}  # fmt: skip
    assert rows["ROAD_REPAIR"]["unit"] == "km"
    waste = rows["WASTE_COLLECTION"]
    assert (waste["planned"], waste["planned_quantity"], waste["open"]) == (1, 2.0, 1)
    assert result.totals == {"planned": 4, "done": 1, "missed": 1, "moved": 1, "open": 2,
                             "unplanned": 1}  # fmt: skip
    assert plans.plan_vs_actual(seeded, other.id, SEPTEMBER).totals["unplanned"] == 1


def test_coming_saturday_and_map_layer(seeded):
    assert next_saturday(dt.date(2026, 11, 26)) == dt.date(2026, 11, 28)
    assert next_saturday(dt.date(2026, 11, 28)) == dt.date(2026, 11, 28)
    plan = _plan(seeded)
    drawn = _item(seeded, plan, "06/09/2025", 2, geometry=_point(seeded, "Xã Vĩnh Linh"))
    plain = _item(seeded, plan, "06/09/2025", 1, commune="Xã Cồn Tiên")
    progress.mark_missed(seeded, plain.id, "Thiếu người", BY, plain.version)
    assert [i.id for i in items_on(seeded, dt.date(2025, 9, 6), plan.organisation_id)] == [drawn.id]
    layer = map_layer(seeded, SEPTEMBER.start, SEPTEMBER.end, today=TODAY)
    features = {f["id"]: f for f in layer["items"]["features"]}
    assert set(features) == {drawn.id, plain.id}
    assert features[drawn.id]["properties"]["overdue"] is True
    assert features[plain.id]["geometry"]["type"] == "Point", "a commune-only item sits inside it"
    undone = {f["properties"]["name"] for f in layer["undone_communes"]["features"]}
    assert undone == {"Xã Vĩnh Linh", "Xã Cồn Tiên"}
    assert seeded.get(PlanItem, drawn.id).activity is None
    assert seeded.scalar(sa.select(sa.func.count(Activity.id))) == 0
