# ruff: noqa: F811  (the engine fixture imported from plan_fixtures)
"""The plan calendar feeds: the .ics parses with the ``icalendar`` package and holds the planned
items with their places; a feed is read with a token or a session, and a revoked or wrong
token reads nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar

from services.plan_figures import next_saturday
from tests.hostile_strings import HOSTILE_STRINGS
from tests.web.plan_fixtures import (
    commune,
    engine,  # noqa: F401  (fixture)
    make_plan,
    org_id,
)

TOKEN_URL = re.compile(r'id="feed-url" class="feed-url" readonly value="([^"]+)"')


@pytest.fixture
def plan(engine):
    saturday = next_saturday()
    _, point = commune(engine, "Xã Vĩnh Linh")
    other_id, _ = commune(engine, "Xã Cồn Tiên")
    period = (saturday - dt.timedelta(days=6), saturday + dt.timedelta(days=20))
    return make_plan(engine, period=period, items=[
        {"planned_date": saturday, "geometry": point, "type_code": "ROAD_REPAIR",
         "planned_quantity": 2, "village": "Thôn Tây", "lead_person": "Lê Văn Dẫn"},
        {"planned_date": saturday + dt.timedelta(days=7), "unit_id": other_id,
         "type_code": "WASTE_COLLECTION", "planned_quantity": 1.5},
    ]) | {"saturday": saturday, "point": point}  # fmt: skip


def _token_url(client, org: int) -> str:
    with client.post(f"/plans/{org}/calendar-tokens", data={"csrf_token": client.csrf_token}) as r:
        assert r.status_code == 200
        found = TOKEN_URL.search(r.get_data(as_text=True))
    return found.group(1).replace("http://localhost", "").replace("&amp;", "&")


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_feed_holds_the_items_with_their_places(client, anon_client, plan):
    url = _token_url(client, plan["org"])
    assert len(url.split("token=")[1]) >= 40, "a long random token"
    with anon_client.get(url) as r:
        assert r.status_code == 200 and r.mimetype == "text/calendar"
        events = _events(r.data)
    assert len(events) == 2
    road, waste = sorted(events, key=lambda e: e.decoded("dtstart"))
    assert road.decoded("dtstart") == plan["saturday"], "an all-day event on the Saturday"
    assert road.decoded("dtend") == plan["saturday"] + dt.timedelta(days=1)
    assert str(road["summary"]) == "Sửa chữa, nâng cấp đường giao thông nông thôn – Xã Vĩnh Linh"
    assert str(road["location"]).startswith("Thôn Tây, Xã Vĩnh Linh, Quảng Trị (")
    lon, lat = plan["point"]["coordinates"]
    geo = road["geo"]
    assert (round(geo.latitude, 5), round(geo.longitude, 5)) == (round(lat, 5), round(lon, 5))
    description = str(road["description"])
    assert "Khối lượng: 2,0 km" in description and "Phụ trách: Lê Văn Dẫn" in description
    assert "geo" not in waste and str(waste["location"]) == "Xã Cồn Tiên, Quảng Trị"
    assert "Khối lượng: 1,5 tấn (t)" in str(waste["description"])


def test_token_rules(client, anon_client, engine, plan):
    url = _token_url(client, plan["org"])
    other = org_id(engine, "QT44-VPDP")
    token = url.split("token=")[1]
    with anon_client.get(f"/plans/{other}/calendar.ics?token={token}") as r:
        assert r.status_code == 404, "a unit's token reads only that unit's feed"
    with anon_client.get(f"/plans/{plan['org']}/calendar.ics?token=x{token}") as r:
        assert r.status_code == 404
    with anon_client.get(f"/plans/{plan['org']}/calendar.ics") as r:
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    with client.get(f"/plans/{plan['org']}/calendar.ics") as r:
        assert r.status_code == 200, "a signed-in user needs no token"
    with client.get(f"/plans/{plan['plan']}") as r:
        token_id = re.search(
            r"/plans/calendar-tokens/(\d+)/revoke", r.get_data(as_text=True)
        ).group(1)
    client.post(f"/plans/calendar-tokens/{token_id}/revoke", data={"csrf_token": client.csrf_token})
    with anon_client.get(url) as r:
        assert r.status_code == 404, "a revoked token reads nothing"
    assert "calendar.ics" in _token_url(client, plan["org"]), "a new token can be made at once"


def test_viewer_cannot_make_a_units_token_but_has_their_own(viewer_client, anon_client, plan):
    refused = viewer_client.post(
        f"/plans/{plan['org']}/calendar-tokens", data={"csrf_token": viewer_client.csrf_token}
    )
    assert refused.status_code == 403
    with viewer_client.post(
        "/plans/me/calendar-tokens", data={"csrf_token": viewer_client.csrf_token}
    ) as r:
        url = TOKEN_URL.search(r.get_data(as_text=True)).group(1).replace("http://localhost", "")
    with anon_client.get(url.replace("&amp;", "&")) as r:
        assert r.status_code == 200
        assert Calendar.from_ical(r.data)["x-wr-calname"] == "Kế hoạch Ngày thứ 7 của tôi"


def test_officers_feed_holds_their_units_items(app, anon_client, plan):
    from tests.web.auth_fixtures import login

    officer = login(app.test_client(), "department_officer", "QT44-SXD")
    with officer.post("/plans/me/calendar-tokens", data={"csrf_token": officer.csrf_token}) as r:
        url = TOKEN_URL.search(r.get_data(as_text=True)).group(1).replace("http://localhost", "")
    with anon_client.get(url.replace("&amp;", "&")) as r:
        assert len(_events(r.data)) == 2


@pytest.mark.parametrize("text", [s for s in HOSTILE_STRINGS if s.strip()][::5])
def test_typed_text_survives_the_feed(client, anon_client, engine, text):
    unit_id, _ = commune(engine, "Xã Vĩnh Linh")
    saturday = next_saturday()
    made = make_plan(engine, period=(saturday, saturday), items=[
        {"planned_date": saturday, "unit_id": unit_id, "type_code": "ROAD_REPAIR",
         "village": text[:200], "description": text}])  # fmt: skip
    with anon_client.get(_token_url(client, made["org"])) as r:
        (event,) = _events(r.data)
    assert str(event["location"]).startswith(" ".join(text[:200].split()))
    assert str(event["description"]).endswith(text.strip()[:4000].replace("\r\n", "\n"))
