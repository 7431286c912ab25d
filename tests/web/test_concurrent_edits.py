"""Twenty editors send the same version at once: exactly one change is saved, the other
nineteen are told of the conflict (409), and the audit trail records one update — on both
databases, through the app with a connection per request, as in production."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, AuditEvent, Organisation, PriorityList, Sponsorship
from tests.web.plan_fixtures import engine, make_plan  # noqa: F401  (fixture)
from tests.web.test_activities_web import _body, organiser_id, places, remove_new_activities  # noqa: F401  (fixtures)

EDITORS = 20


def _clones(client, n: int) -> list:
    """``n`` clients of the same signed-in session (its cookie and CSRF token)."""
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    clones = []
    for _ in range(n):
        other = client.application.test_client()
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        other.environ_base["HTTP_X_CSRFTOKEN"] = client.csrf_token
        clones.append(other)
    return clones


def _all_at_once(clients, send) -> list[int]:
    """Each client sends its request when all are ready; the statuses, in order."""
    start = threading.Barrier(len(clients))

    def one(i_client):
        i, c = i_client
        start.wait()
        with send(c, i) as response:
            return response.status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, enumerate(clients)))


def _events(eng, entity: str, entity_id: int, action: str) -> int:
    with Session(eng) as s:
        return s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
                AuditEvent.action == action,
            )
        )


def test_one_of_twenty_activity_edits_wins(client, organiser_id, places):  # noqa: F811
    created = client.post("/api/activities", json=_body(organiser_id, places["Xã Vĩnh Linh"]))
    activity = created.get_json()
    assert created.status_code == 201 and activity["version"] == 1

    def send(c, i):
        body = _body(organiser_id, places["Xã Vĩnh Linh"], description=f"người sửa {i}")
        return c.put(f"/api/activities/{activity['id']}", json=body | {"version": 1})

    statuses = _all_at_once(_clones(client, EDITORS), send)
    assert sorted(statuses) == [200] + [409] * (EDITORS - 1)
    final = client.get(f"/api/activities/{activity['id']}").get_json()
    assert final["version"] == 2
    engine_ = client.application.extensions["ntm_engine"]
    assert _events(engine_, "activity", activity["id"], "update") == 1


def test_one_of_twenty_plan_item_edits_wins(client, engine):  # noqa: F811
    from tests.web.plan_fixtures import commune

    _, point = commune(engine, "Xã Vĩnh Linh")
    plan = make_plan(
        engine,
        items=[{"planned_date": "2025-09-06", "geometry": point, "type_code": "ROAD_REPAIR"}],
    )
    item_id = plan["items"][0]

    def send(c, i):
        body = {"planned_date": "2025-09-06", "geometry": point, "type_code": "ROAD_REPAIR",
                "village": f"Thôn {i}", "version": 1}  # fmt: skip
        return c.put(f"/api/plans/items/{item_id}", json=body)

    statuses = _all_at_once(_clones(client, EDITORS), send)
    assert sorted(statuses) == [200] + [409] * (EDITORS - 1)
    assert _events(engine, "plan_item", item_id, "update") == 1


@pytest.fixture
def scratch_list(app):
    yield
    with Session(app.extensions["ntm_engine"]) as s:
        s.execute(sa.delete(AuditEvent).where(AuditEvent.entity == "priority_list"))
        s.commit()


def test_one_of_twenty_priority_list_edits_wins(client, scratch_list):
    created = client.post("/api/priority-lists", json={"name": "Danh sách thử đồng thời"})
    assert created.status_code == 201, created.get_json()
    list_id = created.get_json()["id"]

    def send(c, i):
        return c.patch(
            f"/api/priority-lists/{list_id}", json={"note": f"ghi chú {i}", "version": 1}
        )

    try:
        statuses = _all_at_once(_clones(client, EDITORS), send)
        assert sorted(statuses) == [200] + [409] * (EDITORS - 1)
    finally:
        engine_ = client.application.extensions["ntm_engine"]
        with Session(engine_) as s:
            plist = s.get(PriorityList, list_id)
            assert plist.version == 2
            s.delete(plist)
            s.commit()


def test_one_of_twenty_sponsorship_ends_wins(client):
    engine_ = client.application.extensions["ntm_engine"]
    with Session(engine_) as s:
        dept = s.scalar(
            sa.select(Organisation.id).where(
                Organisation.kind == "department", Organisation.valid_to.is_(None)
            )
        )
        unit = s.scalar(
            sa.select(AdminUnit.id).where(
                AdminUnit.level == "commune", AdminUnit.valid_to.is_(None)
            )
        )
    created = client.post(
        "/api/sponsorships",
        json={"department_id": dept, "unit_id": unit, "valid_from": "2026-01-01"},
    )
    assert created.status_code == 201, created.get_json()
    row_id = created.get_json()["id"]

    def send(c, i):
        return c.post(
            f"/api/sponsorships/{row_id}/end",
            json={"valid_to": f"2026-{(i % 9) + 2:02d}-01", "version": 1},
        )

    try:
        statuses = _all_at_once(_clones(client, EDITORS), send)
        assert sorted(statuses) == [200] + [409] * (EDITORS - 1)
    finally:
        with Session(engine_) as s:
            s.execute(sa.delete(Sponsorship).where(Sponsorship.id == row_id))
            s.execute(
                sa.delete(AuditEvent).where(
                    AuditEvent.entity == "sponsorship", AuditEvent.entity_id == row_id
                )
            )
            s.commit()


def test_etag_and_if_match_on_activities(client, organiser_id, places):  # noqa: F811
    point = places["Phường Đông Hà"]
    created = client.post(
        "/api/activities", json=_body(organiser_id, point, confirm_duplicate=True)
    ).get_json()
    url = f"/api/activities/{created['id']}"
    got = client.get(url)
    assert got.headers["ETag"] == '"1"'
    body = _body(organiser_id, point, description="sửa theo ETag", confirm_duplicate=True)
    saved = client.put(url, json=body, headers={"If-Match": got.headers["ETag"]})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"2"'
    stale = client.put(url, json=body, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    bad = client.put(url, json=body, headers={"If-Match": '"abc"'})
    assert bad.status_code == 422 and "If-Match" in bad.get_json()["error"]
