# ruff: noqa: F811  (the engine fixture imported from plan_fixtures)
"""Sessions and tokens that can be ended, sign-in that tells nothing, and ids read one way.

- sign-out ends the session on the server: a copy of its cookie no longer works;
- disabling an account ends its sessions and its calendar feeds (never widened to every unit);
- ``next=`` and ``back=`` only lead to paths of this site;
- sign-ins and failures are in the audit trail;
- an id field sent in any spelling other than a plain id is refused, and none of them lets a
  unit officer write in another unit's name — for every role that may write activities.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import Activity, AuditEvent, Organisation
from services import accounts
from tests.web.auth_fixtures import ensure_user, fetch_csrf_token, login
from tests.web.plan_fixtures import engine  # noqa: F401  (fixture)
from tests.web.test_activities_web import SATURDAY, places, remove_new_activities  # noqa: F401  (fixture)
from tests.web.test_calendar import TOKEN_URL, plan  # noqa: F401  (fixture)

SPELLINGS = ["3.7", "3,7", "3 7", " 37 ", 37.0, [37], "²", True, "0x25", "+37", "-37", "37abc"]


def _copy_session(client):
    name = client.application.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    other = client.application.test_client()
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def test_a_copied_cookie_stops_working_at_sign_out(app):
    client = login(app.test_client(), "planner")
    copy = _copy_session(client)
    assert copy.get("/api/priority-lists").status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token})
    assert copy.get("/api/priority-lists").status_code == 401


def test_disabling_an_account_ends_its_sessions_and_feeds(app, anon_client, plan):  # noqa: F811
    engine = app.extensions["ntm_engine"]
    viewer = login(app.test_client(), "viewer")
    with viewer.post("/plans/me/calendar-tokens", data={"csrf_token": viewer.csrf_token}) as r:
        url = TOKEN_URL.search(r.get_data(as_text=True)).group(1).replace("http://localhost", "")
    url = url.replace("&amp;", "&")
    assert anon_client.get(url).status_code == 200
    with Session(engine) as s:
        accounts.set_active(s, viewer.username, False)
        s.commit()
    try:
        assert viewer.get("/api/priority-lists").status_code == 401
        refused = anon_client.get(url)
        assert refused.status_code in (401, 302, 404)
        assert b"BEGIN:VCALENDAR" not in refused.data
    finally:
        ensure_user(engine, "viewer")


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example", "/\t/evil.example", "/\\evil.example", "//evil.example",
     "https://evil.example", "/\n/evil.example", "javascript:alert(1)"],
)  # fmt: skip
def test_next_and_back_stay_on_the_site(app, target):
    username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
    client = app.test_client()
    token = fetch_csrf_token(client)
    response = client.post(
        f"/login?next={target}" if "%" in target else "/login",
        data={"username": username, "password": password, "csrf_token": token}
        | ({} if "%" in target else {"next": target}),
    )
    assert response.headers["Location"] == "/"
    planner = login(app.test_client(), "planner")
    revoke = planner.post(
        "/plans/calendar-tokens/999999/revoke",
        data={"csrf_token": planner.csrf_token, "back": target},
    )
    assert not revoke.headers.get("Location", "/").startswith(("//", "http", "/\\", "/\t"))


def test_sign_ins_and_failures_are_in_the_audit_trail(app):
    engine = app.extensions["ntm_engine"]
    username, password = ensure_user(engine, "viewer")
    client = app.test_client()
    token = fetch_csrf_token(client)
    client.post(
        "/login", data={"username": username, "password": "sai-roi-nhe-1", "csrf_token": token}
    )
    client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    with Session(engine) as s:
        actions = [
            (e.action, e.by)
            for e in s.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.entity == "user_account", AuditEvent.by == username)
                .order_by(AuditEvent.id.desc())
                .limit(2)
            )
        ]
    assert actions == [("sign_in", username), ("sign_in_fail", username)]


def _other_unit(engine, own_id: int) -> int:
    with Session(engine) as s:
        return s.scalar(
            sa.select(Organisation.id)
            .where(Organisation.id != own_id, Organisation.valid_to.is_(None))
            .order_by(Organisation.id)
        )


@pytest.mark.parametrize("role", ["department_officer", "working_group_officer"])
def test_no_spelling_of_an_id_writes_in_another_units_name(app, places, role):  # noqa: F811
    engine = app.extensions["ntm_engine"]
    officer = login(app.test_client(), role)
    with Session(engine) as s:
        own = s.scalar(
            sa.select(accounts.UserAccount.organisation_id).where(
                accounts.UserAccount.username == officer.username
            )
        )
        before = s.scalar(sa.select(sa.func.count()).select_from(Activity))
    other = _other_unit(engine, own)
    point = places["Xã Vĩnh Linh"]
    body = {
        "activity_date": SATURDAY, "type_code": "ROAD_REPAIR", "participants": 10,
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
    }  # fmt: skip
    plain = officer.post("/api/activities", json=body | {"organiser_id": str(other)})
    assert plain.status_code == 403
    for spelling in SPELLINGS + [f"{other}.0", f"{other} ", f" {other}", float(other)]:
        response = officer.post("/api/activities", json=body | {"organiser_id": spelling})
        assert response.status_code in (400, 403, 422), (spelling, response.get_json())
        if response.status_code == 422:
            assert "organiser_id" in response.get_data(as_text=True)
        form = officer.post(
            "/api/activities",
            data={k: str(v) for k, v in body.items() if k != "geometry"}
            | {"organiser_id": str(spelling), "csrf_token": officer.csrf_token},
        )
        assert form.status_code in (400, 403, 422), (spelling, form.get_data(as_text=True)[:200])
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Activity)) == before
