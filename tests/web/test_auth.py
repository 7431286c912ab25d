# ruff: noqa: F811  (pytest fixtures imported from auth_fixtures)
"""Sign-in, lockout, CSRF, cookies, headers and the public read-only mode (both databases)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import AdminUnit, UnitLineage
from services import accounts, audit
from tests.web.auth_fixtures import (  # noqa: F401
    PASSWORD,
    admin_client,
    anon_client,
    app_config,
    ensure_user,
    fetch_csrf_token,
    login,
    planner_client,
    viewer_client,
)
from webmap.app import create_app


def _app(seeded_engine, mode="required", **extra):
    return create_app(app_config(seeded_engine, mode, **extra))


@pytest.fixture
def app(seeded_engine):
    app = _app(seeded_engine)
    yield app
    app.extensions["ntm_engine"].dispose()


def _commune_id(app) -> int:
    with Session(app.extensions["ntm_engine"]) as s:
        return s.scalar(
            sa.select(AdminUnit.id)
            .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.id)
            .limit(1)
        )


def _post_login(client, username, password, **extra):
    token = fetch_csrf_token(client)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data)


def test_anonymous_page_goes_to_login_and_api_says_401(anon_client):
    page = anon_client.get("/")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/")
    api = anon_client.get("/api/priority-lists")
    assert api.status_code == 401
    assert "đăng nhập" in api.get_json()["error"]


def test_login_then_logout(app):
    client = app.test_client()
    username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
    response = _post_login(client, username, password, next="/api/priority-lists")
    assert response.status_code == 302
    assert response.headers["Location"] == "/api/priority-lists"
    assert client.get("/api/priority-lists").status_code == 200
    home = client.get("/")
    assert username not in home.get_data(as_text=True) or "Đăng xuất" in home.get_data(as_text=True)
    # logout needs a POST with the token, then the data is hidden again
    assert client.get("/logout").status_code == 405
    token = fetch_csrf_token(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/priority-lists").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(app, target):
    username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
    response = _post_login(app.test_client(), username, password, next=target)
    assert response.headers["Location"] == "/"


def test_wrong_password_then_lockout(seeded_engine):
    app = _app(seeded_engine, NTM_LOGIN_MAX_FAILURES="3", NTM_LOGIN_LOCK_MINUTES="5")
    try:
        username, password = ensure_user(app.extensions["ntm_engine"], "planner")
        client = app.test_client()
        wrong = _post_login(client, username, "sai-mat-khau-roi")
        assert wrong.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.get_data(as_text=True)
        _post_login(client, username, "sai-mat-khau-roi")
        _post_login(client, username, "sai-mat-khau-roi")
        locked = _post_login(client, username, password)
        assert locked.status_code == 429
        assert "tạm khoá" in locked.get_data(as_text=True)
    finally:
        ensure_user(app.extensions["ntm_engine"], "planner")  # unlock for other tests
        app.extensions["ntm_engine"].dispose()


def test_address_limiter(seeded_engine):
    app = _app(seeded_engine, NTM_LOGIN_ADDRESS_LIMIT="2")
    try:
        username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
        client = app.test_client()
        for name in ("khong-ai-1", "khong-ai-2"):
            assert _post_login(client, name, "sai-mat-khau-roi").status_code == 401
        blocked = _post_login(client, username, password)
        assert blocked.status_code == 429
        assert "quá nhiều lần đăng nhập sai từ địa chỉ này" in blocked.get_data(as_text=True)
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "127.0.0.9"
        assert _post_login(other, username, password).status_code == 302
    finally:
        app.extensions["ntm_engine"].dispose()


def test_csrf_missing_or_wrong_is_refused_in_vietnamese(planner_client):
    body = {"name": "Danh sách CSRF"}
    missing = planner_client.post("/api/priority-lists", json=body, headers={"X-CSRFToken": ""})
    assert missing.status_code == 400
    assert "CSRF" in missing.get_json()["error"] and "tải lại trang" in missing.get_json()["error"]
    wrong = planner_client.post("/api/priority-lists", json=body, headers={"X-CSRFToken": "x" * 43})
    assert wrong.status_code == 400
    form = planner_client.post(
        "/logout", data={"csrf_token": "forged"}, headers={"X-CSRFToken": ""}
    )
    assert form.status_code == 400
    assert "Phiên làm việc đã hết hạn" in form.get_data(as_text=True)
    assert planner_client.get("/api/priority-lists").status_code == 200  # still signed in


def test_csrf_token_of_another_session_is_refused(app, planner_client):
    other = app.test_client()
    foreign_token = fetch_csrf_token(other)
    response = planner_client.post(
        "/api/priority-lists", json={"name": "x"}, headers={"X-CSRFToken": foreign_token}
    )
    assert response.status_code == 400


def test_login_form_needs_csrf(app):
    username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
    response = app.test_client().post("/login", data={"username": username, "password": password})
    assert response.status_code == 400


def test_session_cookie_flags(seeded_engine):
    for https in ("off", "on"):
        app = _app(seeded_engine, NTM_HTTPS=https)
        try:
            client = app.test_client()
            username, password = ensure_user(app.extensions["ntm_engine"], "viewer")
            response = _post_login(client, username, password)
            cookie = next(c for c in response.headers.getlist("Set-Cookie") if "ntm_session=" in c)
            assert "HttpOnly" in cookie
            assert "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is (https == "on")
            assert ("Strict-Transport-Security" in response.headers) is (https == "on")
        finally:
            app.extensions["ntm_engine"].dispose()


@pytest.mark.parametrize("path", ["/login", "/api/openapi.json", "/no-such-page", "/"])
def test_security_headers_on_every_response(viewer_client, path):
    response = viewer_client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert re.search(r"'nonce-[A-Za-z0-9_-]{20,}'", script_src)
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp


def test_nonce_changes_per_request(viewer_client):
    first = viewer_client.get("/login").headers["Content-Security-Policy"]
    second = viewer_client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_home_map_scripts_carry_the_nonce(viewer_client):
    response = viewer_client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    page = response.get_data(as_text=True)
    inner_scripts = re.findall(r"&lt;script[^&]*(?:&[^g][^&]*)*?&gt;", page)
    assert inner_scripts, "the map document has scripts"
    assert all(f"nonce=&#34;{nonce}&#34;" in s for s in inner_scripts)


def test_public_read_mode(seeded_engine):
    app = _app(seeded_engine, "public-read")
    try:
        anon = app.test_client()
        token = fetch_csrf_token(anon)
        assert anon.get("/").status_code == 200
        assert anon.get("/api/priority-lists").status_code == 200
        write = anon.post("/api/priority-lists", json={"name": "x"}, headers={"X-CSRFToken": token})
        assert write.status_code == 401
        assert anon.get("/admin/accounts").status_code == 302
        viewer = login(app.test_client(), "viewer")
        assert viewer.post("/api/priority-lists", json={"name": "x"}).status_code == 403
    finally:
        app.extensions["ntm_engine"].dispose()


def test_off_mode_checks_nothing_and_sends_no_policy(seeded_engine):
    app = _app(seeded_engine, "off")
    try:
        client = app.test_client()
        response = client.get("/api/priority-lists")
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # no token needed: a bad body reaches the view and is refused there, not by CSRF
        refused = client.post("/api/priority-lists", data="nope", content_type="text/plain")
        assert "CSRF" not in refused.get_json()["error"]
    finally:
        app.extensions["ntm_engine"].dispose()


def test_unknown_mode_is_refused(seeded_engine):
    with pytest.raises(ValueError, match="NTM_AUTH"):
        _app(seeded_engine, "maybe")


def test_disabled_account_loses_its_session(app, viewer_client):
    assert viewer_client.get("/api/priority-lists").status_code == 200
    engine = app.extensions["ntm_engine"]
    with Session(engine) as s:
        accounts.set_active(s, viewer_client.username, False)
        s.commit()
    try:
        assert viewer_client.get("/api/priority-lists").status_code == 401
    finally:
        ensure_user(engine, "viewer")


def test_password_change_ends_other_sessions(app, viewer_client):
    engine = app.extensions["ntm_engine"]
    with Session(engine) as s:
        accounts.change_password(s, viewer_client.username, "mat-khau-moi-hoan-toan")
        s.commit()
    try:
        assert viewer_client.get("/api/priority-lists").status_code == 401
    finally:
        ensure_user(engine, "viewer")


def test_changes_are_attributed_to_the_signed_in_user(planner_client):
    created = planner_client.post("/api/priority-lists", json={"name": "Danh sách của planner"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    unit_id = _commune_id(planner_client.application)
    added = planner_client.post(
        f"/api/priority-lists/{body['id']}/items",
        json={"unit_ids": [unit_id], "version": body["version"]},
    )
    assert added.status_code == 200, added.get_json()
    history = planner_client.get(f"/api/priority-lists/{body['id']}/history").get_json()
    assert history[0]["by"] == planner_client.username


def test_admin_creates_and_disables_an_account_in_the_ui(admin_client):
    page = admin_client.get("/admin/accounts")
    assert page.status_code == 200 and "Tạo tài khoản" in page.get_data(as_text=True)
    hostile = "<img src=x onerror=alert(1)>"
    form = {
        "csrf_token": admin_client.csrf_token,
        "username": "ui-created",
        "display_name": hostile,
        "password": PASSWORD,
        "role": "viewer",
    }
    engine = admin_client.application.extensions["ntm_engine"]
    try:
        admin_client.post("/admin/accounts", data=form)
        listed = admin_client.get("/admin/accounts").get_data(as_text=True)
        assert "&lt;img src=x onerror=alert(1)&gt;" in listed and hostile not in listed
        admin_client.post(
            "/admin/accounts/ui-created/active", data={"csrf_token": admin_client.csrf_token}
        )
        with Session(engine) as s:
            assert accounts.get_user(s, "ui-created").is_active is False
        with Session(engine) as s:
            created = accounts.get_user(s, "ui-created")
            trail = audit.history_for_entity(s, "user_account", created.id)
            assert [e.action for e in trail] == ["create", "update"]
            assert trail[0].by == admin_client.username and "password_hash" not in trail[0].after
        own = admin_client.post(
            f"/admin/accounts/{admin_client.username}/active",
            data={"csrf_token": admin_client.csrf_token, "active": "0"},
        )
        assert own.status_code == 302
        assert "Không thể tự khoá" in admin_client.get("/admin/accounts").get_data(as_text=True)
        changed = admin_client.post(
            f"/admin/accounts/{admin_client.username}/password",
            data={"csrf_token": admin_client.csrf_token, "password": "mat-khau-admin-moi"},
        )
        assert changed.status_code == 302
        assert admin_client.get("/admin/accounts").status_code == 200  # still signed in
        again = admin_client.post("/admin/accounts", data=form)
        assert again.status_code == 302
        assert "đã có người dùng" in admin_client.get("/admin/accounts").get_data(as_text=True)
    finally:
        with Session(engine) as s:
            s.delete(accounts.get_user(s, "ui-created"))
            s.commit()
        ensure_user(engine, "admin")


def test_commune_history_page_escapes(app, viewer_client):
    engine = app.extensions["ntm_engine"]
    unit_id = _commune_id(app)
    with Session(engine) as s:
        event = audit.record(
            s,
            "commune_note",
            unit_id,
            "update",
            "<b>kẻ xấu</b>",
            {"note": "cũ"},
            {"note": "<script>window.__xss=1</script>"},
            unit_id,
        )
        s.commit()
        event_id = event.id
    try:
        page = viewer_client.get(f"/communes/{unit_id}/history").get_data(as_text=True)
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
        assert "<script>window.__xss" not in page and "&lt;b&gt;kẻ xấu&lt;/b&gt;" in page
        data = viewer_client.get(f"/api/communes/{unit_id}/history").get_json()
        assert data["events"][0]["after"]["note"].startswith("<script>")
        assert data["events"][0]["changed"] == ["note"]
        assert viewer_client.get("/communes/99999999/history").status_code == 404
    finally:
        with Session(engine) as s:
            s.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": event_id})
            s.commit()


def test_error_messages_are_vietnamese_and_bad_data_is_not_an_outage(seeded_engine):
    app = _app(seeded_engine, "off", NTM_MAX_UPLOAD_MB="1")
    try:
        client = app.test_client()
        assert "không nhận thao tác" in client.delete("/login").get_data(as_text=True)
        too_big = client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
        assert too_big.status_code == 413 and "quá lớn" in too_big.get_data(as_text=True)
        # a value longer than the column (PostgreSQL refuses it): 422, not "try again"
        long_name = client.post("/api/priority-lists", json={"name": "Đ" * 5000})
        assert long_name.status_code in (400, 422)
        assert "thử lại sau ít phút" not in long_name.get_json()["error"]
    finally:
        app.extensions["ntm_engine"].dispose()


def test_commune_history_includes_its_former_units(app, viewer_client):
    engine = app.extensions["ntm_engine"]
    with Session(engine) as s:
        new_id, old_id, old_name = s.execute(
            sa.select(UnitLineage.new_unit_id, UnitLineage.old_unit_id, AdminUnit.name)
            .join(AdminUnit, AdminUnit.id == UnitLineage.old_unit_id)
            .order_by(UnitLineage.id)
            .limit(1)
        ).one()
        old_event = audit.record(s, "classification", 1, "update", "planner-cu",
                                 {"mountainous": False}, {"mountainous": True}, old_id)  # fmt: skip
        s.commit()
        event_id = old_event.id
    try:
        data = viewer_client.get(f"/api/communes/{new_id}/history").get_json()
        assert {"unit_id": old_id, "name": old_name} in data["former_units"]
        assert any(e["id"] == event_id and e["unit_id"] == old_id for e in data["events"])
        page = viewer_client.get(f"/communes/{new_id}/history").get_data(as_text=True)
        assert f"{old_name} (đơn vị cũ)" in page and "planner-cu" in page
    finally:
        with Session(engine) as s:
            s.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": event_id})
            s.commit()


@pytest.mark.parametrize(
    "path",
    ["/api/communes/99999999999999999999/history", "/api/priority-lists/99999999999999999999"],
)
def test_numbers_too_large_for_the_database_are_refused_not_crashing(viewer_client, path):
    response = viewer_client.get(path)
    assert response.status_code in (400, 404, 422)
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.get_json()["error"]


@pytest.mark.parametrize(
    ("basemap", "origin"),
    [
        ("none", None),
        ("osm", "https://tile.openstreetmap.org"),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
    ],
)
def test_policy_allows_only_the_configured_tile_source(basemap, origin):
    from webmap.security import content_security_policy

    policy = content_security_policy("abc", basemap)
    img_src = re.search(r"img-src ([^;]+)", policy).group(1).split()
    assert img_src[:3] == ["'self'", "data:", "blob:"]
    assert img_src[3:] == ([origin] if origin else [])
    assert "script-src 'self' 'nonce-abc'" in policy
