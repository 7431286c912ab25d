# ruff: noqa: F811  (the engine fixture imported from plan_fixtures)
"""Plan pages and API through the test client, with sign-in required: who keeps which plan,
the item → activity step from the pre-filled activity form, missed and moved items, plan
against actual, the coming Saturday and the map layer."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from markupsafe import escape
from sqlalchemy.orm import Session

from geo.models import PlanItem, UnitPlan
from services.plan_figures import next_saturday
from tests.hostile_strings import HOSTILE_STRINGS
from tests.web.auth_fixtures import login
from tests.web.plan_fixtures import (
    commune,
    engine,  # noqa: F401  (fixture)
    make_plan,
    org_id,
)

SXD = "QT44-SXD"


@pytest.fixture
def sxd_officer(app):
    return login(app.test_client(), "department_officer", SXD)


@pytest.fixture
def road_plan(engine):
    unit_id, point = commune(engine, "Xã Vĩnh Linh")
    return make_plan(engine, items=[
        {"planned_date": "2025-09-06", "geometry": point, "type_code": "ROAD_REPAIR",
         "planned_quantity": 2, "village": "Thôn Tây"},
        {"planned_date": "2025-09-13", "unit_id": unit_id, "type_code": "ROAD_REPAIR",
         "planned_quantity": 3},
    ])  # fmt: skip


def _item(engine, item_id: int) -> PlanItem:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(PlanItem, item_id)


def _config(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="activity-config">(.*?)</script>', html, re.S
    )
    return json.loads(found.group(1))


def test_plan_page_lists_items_and_the_progress_table(client, road_plan):
    with client.get(f"/plans/{road_plan['plan']}") as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count('data-status="planned"') == 2
    assert "Sửa chữa, nâng cấp đường giao thông nông thôn" in html
    assert f"/activities/new?plan_item={road_plan['items'][0]}" in html
    assert 'data-figure="planned_quantity">5,0 km' in html, "2 + 3 km planned"
    with client.get("/plans") as r:
        assert "Kế hoạch tháng 9/2025" in r.get_data(as_text=True)


def test_item_api_checks_and_confirms(client, road_plan):
    url = f"/api/plans/{road_plan['plan']}/items"
    bad = client.post(
        url, json={"planned_date": "2025-10-04", "type_code": "X", "planned_quantity": -1}
    )
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.get_json()["details"]}
    assert {"planned_date", "type_code", "planned_quantity"} <= fields
    unit_id, _ = commune(client.application.extensions["ntm_engine"], "Xã Cồn Tiên")
    friday = {"planned_date": "2025-09-19", "unit_id": unit_id, "type_code": "WASTE_COLLECTION"}
    asked = client.post(url, json=friday)
    assert (
        asked.status_code == 409
        and asked.get_json()["details"][0]["confirm"] == "confirm_not_saturday"
    )
    made = client.post(url, json={**friday, "confirm_not_saturday": True})
    assert made.status_code == 201 and made.get_json()["commune"] == "Xã Cồn Tiên"


def test_officer_keeps_only_their_own_units_plan(app, engine, sxd_officer, road_plan):
    own = sxd_officer.post(f"/api/plans/{road_plan['plan']}/items",
                           json={"planned_date": "2025-09-20", "unit_id": _item(engine, road_plan["items"][1]).unit_id,
                                 "type_code": "ROAD_REPAIR"})  # fmt: skip
    assert own.status_code == 201
    other = make_plan(engine, code="QT44-VPDP")
    refused = sxd_officer.post(f"/api/plans/{other['plan']}/items", json={})
    assert refused.status_code == 403 and "chính đơn vị mình" in refused.get_json()["error"]
    form = {"csrf_token": sxd_officer.csrf_token, "title": "KH", "period_from": "2025-09-01",
            "period_to": "2025-09-30"}  # fmt: skip
    theirs = sxd_officer.post(
        "/plans", data={**form, "organisation_id": org_id(engine, "QT44-VPDP")}
    )
    assert theirs.status_code == 403
    province = sxd_officer.post(
        "/plans", data={**form, "organisation_id": road_plan["org"], "kind": "province"}
    )
    assert province.status_code == 403
    mine = sxd_officer.post("/plans", data={**form, "organisation_id": road_plan["org"]})
    assert mine.status_code == 302


def test_planners_keep_the_province_plan_and_viewers_read(
    app, engine, planner_client, viewer_client
):
    dept = org_id(engine, SXD)
    form = {"csrf_token": planner_client.csrf_token, "title": "Kế hoạch tỉnh", "kind": "province",
            "organisation_id": org_id(engine, "QT44-VPDP"), "period_from": "2025-09-01",
            "period_to": "2025-09-30"}  # fmt: skip
    made = planner_client.post("/plans", data=form)
    assert made.status_code == 302
    plan_id = int(made.headers["Location"].rsplit("/", 1)[1])
    unit_id, _ = commune(engine, "Xã Vĩnh Linh")
    task = planner_client.post(f"/api/plans/{plan_id}/items", json={
        "planned_date": "2025-09-13", "unit_id": unit_id, "type_code": "SUPPORT_VISIT",
        "assignee_id": dept, "deadline": "2025-09-30"})  # fmt: skip
    assert task.status_code == 201 and task.get_json()["assignee_id"] == dept
    with viewer_client.get(f"/plans/{plan_id}") as page:
        assert page.status_code == 200 and "30/09/2025" in page.get_data(as_text=True)
    assert viewer_client.post(f"/api/plans/{plan_id}/items", json={}).status_code == 403
    officer = login(app.test_client(), "department_officer", SXD)
    assert officer.post(f"/api/plans/{plan_id}/items", json={}).status_code == 403
    item_id = task.get_json()["id"]
    missed = officer.post(f"/plans/items/{item_id}/missed", data={
        "csrf_token": officer.csrf_token, "version": 1, "missed_reason": "Trùng lịch họp"})  # fmt: skip
    assert missed.status_code == 302, "a department marks its own province task missed"
    assert _item(engine, item_id).status == "missed"


def test_item_becomes_an_activity_through_the_prefilled_form(app, engine, sxd_officer, road_plan):
    item_id = road_plan["items"][0]
    with sxd_officer.get(f"/activities/new?plan_item={item_id}") as r:
        html = r.get_data(as_text=True)
    config = _config(html)
    assert config["api"] == f"/api/plans/items/{item_id}/activity"
    prefill = config["prefill"]
    assert prefill["activity_date"] == "2025-09-06" and prefill["quantity"] == 2
    assert prefill["geometry"]["type"] == "Point" and 'id="from-plan"' in html
    body = {
        k: prefill[k] for k in ("activity_date", "type_code", "organiser_id", "village", "geometry")
    }
    saved = sxd_officer.post(config["api"], json={**body, "quantity": 1.4, "participants": 25})
    assert saved.status_code == 201, saved.get_json()
    assert saved.get_json()["redirect"] == f"/plans/{road_plan['plan']}"
    item = _item(engine, item_id)
    assert (item.status, item.activity_id) == ("done", saved.get_json()["id"])
    progress = sxd_officer.get(
        f"/api/plans/progress?unit={road_plan['org']}&from=2025-09-01&to=2025-09-30"
    )
    road = progress.get_json()["rows"][0]
    assert (road["planned"], road["planned_quantity"], road["done"], road["done_quantity"]) == (
        2,
        5.0,
        1,
        1.4,
    )
    planner = login(app.test_client(), "planner")
    assert (
        planner.post(f"/api/plans/items/{road_plan['items'][1]}/activity", json=body).status_code
        == 403
    )


def test_moved_item_and_its_new_day(client, engine, road_plan):
    item_id = road_plan["items"][1]
    moved = client.post(f"/plans/items/{item_id}/move", data={
        "csrf_token": client.csrf_token, "version": 1, "moved_to_date": "2025-09-27"})  # fmt: skip
    assert moved.status_code == 302
    old = _item(engine, item_id)
    assert old.status == "moved" and _item(engine, old.moved_to_id).planned_date == dt.date(
        2025, 9, 27
    )
    again = client.post(f"/plans/items/{item_id}/missed", data={
        "csrf_token": client.csrf_token, "version": old.version, "missed_reason": "x"})  # fmt: skip
    assert again.status_code == 422 and "đã dời" in again.get_data(as_text=True)


def test_coming_saturday_and_map_layer(client, engine):
    saturday = next_saturday()
    unit_id, point = commune(engine, "Xã Cồn Tiên")
    period = (saturday - dt.timedelta(days=6), saturday + dt.timedelta(days=20))
    made = make_plan(engine, period=period, items=[
        {"planned_date": saturday, "geometry": point, "type_code": "ENV_SANITATION",
         "planned_quantity": 1, "lead_person": "Hồ Thị Dẫn"}])  # fmt: skip
    with client.get(f"/plans/saturday?unit={made['org']}") as r:
        html = r.get_data(as_text=True)
    assert f'data-item="{made["items"][0]}"' in html and "Hồ Thị Dẫn" in html
    layer = client.get(f"/api/plans/map?from={period[0]}&to={period[1]}").get_json()
    assert [f["id"] for f in layer["items"]["features"]] == made["items"]
    assert [f["properties"]["name"] for f in layer["undone_communes"]["features"]] == [
        "Xã Cồn Tiên"
    ]
    assert client.get("/api/plans/map?from=2025-09-30&to=2025-09-01").status_code == 400


@pytest.mark.parametrize("text", HOSTILE_STRINGS[:20])
def test_typed_text_shows_as_text(client, engine, text):
    unit_id, _ = commune(engine, "Xã Vĩnh Linh")
    made = make_plan(engine, title=text[:300], items=[
        {"planned_date": "2025-09-06", "unit_id": unit_id, "type_code": "ROAD_REPAIR",
         "village": text[:200], "lead_person": text[:200]}])  # fmt: skip
    for url in (
        f"/plans/{made['plan']}",
        "/plans",
        f"/activities/new?plan_item={made['items'][0]}",
    ):
        with client.get(url) as r:
            html = r.get_data(as_text=True)
        assert r.status_code == 200
        if set(text) & set("<>\"'&"):
            assert text not in html, f"{url} shows the typed text unescaped"
        assert str(escape(text)) in html or "\\u003c" in html
    with Session(engine) as s:
        assert (
            s.scalar(sa.select(UnitPlan.title).where(UnitPlan.id == made["plan"]))
            == text[:300].strip()
        )


def test_edit_form_and_english(client, road_plan):
    item_id = road_plan["items"][0]
    with client.get(f"/plans/items/{item_id}/edit") as r:
        config = _config(r.get_data(as_text=True))
    assert config["method"] == "PUT" and config["save"] == f"/api/plans/items/{item_id}"
    assert config["item"]["geometry"]["type"] == "Point" and config["item"]["village"] == "Thôn Tây"
    with client.get(f"/plans/{road_plan['plan']}?lang=en") as r:
        html = r.get_data(as_text=True)
    assert "Planned items" in html and "Plan against actual" in html
