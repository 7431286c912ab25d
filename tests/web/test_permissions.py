# ruff: noqa: F811  (pytest fixtures imported from auth_fixtures)
"""Roles × endpoints with ``NTM_AUTH=required``: every allow and every deny, on both databases.

The expectations are written out here, apart from the permission table in ``webmap.auth``,
so a wrong rule there fails a row. Add a row for every new endpoint
(``test_every_endpoint_has_a_row`` fails until you do).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.exceptions import MethodNotAllowed, NotFound

from geo.models import Activity, ActivityCommune, AdminUnit, Organisation, activity_criterion
from tests.web.auth_fixtures import app_config, fetch_csrf_token, login
from webmap.app import create_app

ROLES = ("anonymous", "viewer", "planner", "department_officer", "working_group_officer", "admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
PLANNERS = frozenset({"planner", "admin"})
ADMINS = frozenset({"admin"})
OFFICERS = frozenset({"department_officer", "working_group_officer", "admin"})
#: permissions are the subject here; other modules' deprecations are their own tests' business
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")
NO_LIST = 99999999  # a list id that does not exist: allowed writes end in 404, nothing changes

#: (method, path, endpoint, roles allowed, JSON body or form)
MATRIX = [
    ("GET", "/login", "auth.login", EVERYONE, None),
    ("GET", "/vendor/leaflet/leaflet.js", "leaflet_assets", EVERYONE, None),
    ("GET", "/", "home.index", SIGNED_IN, None),
    ("GET", "/map", "planner.planner_map", SIGNED_IN, None),
    ("GET", "/map/print", "exports.print_map", SIGNED_IN, None),
    ("GET", "/exports/pack", "exports.meeting_pack", SIGNED_IN, None),
    ("GET", "/exports/font/DejaVuSans.ttf", "exports.font", SIGNED_IN, None),
    ("GET", "/reports", "exports.reports_page", SIGNED_IN, None),
    ("GET", "/reports/print", "exports.report_print", SIGNED_IN, None),
    ("GET", "/reports/excel", "exports.report_excel", SIGNED_IN, None),
    ("POST", "/api/exports", "exports.start_export", SIGNED_IN, {"json": {"kind": "none"}}),
    ("POST", "/api/exports/nothing/cancel", "exports.cancel_export", SIGNED_IN, {"json": {}}),
    ("GET", "/api/exports/no-such-job", "exports.export_status", SIGNED_IN, None),
    ("GET", "/api/exports/no-such-job/file", "exports.export_file", SIGNED_IN, None),
    ("GET", "/communes/{unit}/history", "history.commune_history", SIGNED_IN, None),
    ("GET", "/api/communes/{unit}/history", "history.commune_history_json", SIGNED_IN, None),
    ("GET", "/api/openapi.json", "openapi.document", SIGNED_IN, None),
    ("GET", "/admin/accounts", "admin.accounts", ADMINS, None),
    ("POST", "/admin/accounts", "admin.create_account", ADMINS, {}),
    ("POST", "/admin/accounts/nobody/active", "admin.set_active", ADMINS, {"active": "1"}),
    ("POST", "/admin/accounts/nobody/password", "admin.change_password", ADMINS, {}),
    ("GET", "/api/map/config", "map_api.config", SIGNED_IN, None),
    ("GET", "/api/map/boundaries/9", "map_api.boundaries", SIGNED_IN, None),
    ("GET", "/api/map/outline", "map_api.outline", SIGNED_IN, None),
    ("GET", "/tiles/communes.json", "tiles.communes_tilejson", SIGNED_IN, None),
    ("GET", "/healthz", "server.healthz", EVERYONE, None),
    ("GET", "/readyz", "server.readyz", EVERYONE, None),
    ("GET", "/favicon.ico", "server.favicon", EVERYONE, None),
    ("GET", "/tiles/communes/17/0/0.mvt", "tiles.communes_tile", SIGNED_IN, None),
    ("GET", "/api/map/labels", "map_api.labels", SIGNED_IN, None),
    ("GET", "/api/map/attributes", "map_api.attributes", SIGNED_IN, None),
    ("GET", "/api/map/activities", "map_api.activities", SIGNED_IN, None),
    ("GET", "/api/map/activities/99999999", "map_api.activity", SIGNED_IN, None),
    ("GET", "/api/map/search?q=Gio", "map_api.search", SIGNED_IN, None),
    ("GET", "/api/map/communes/{unit}", "map_api.commune", SIGNED_IN, None),
    ("POST", "/api/map/communes-in-shape", "map_api.communes_in_shape", SIGNED_IN, {"json": {}}),
    ("GET", "/api/priority-lists", "priorities_api.index", SIGNED_IN, None),
    ("POST", "/api/priority-lists", "priorities_api.create", PLANNERS, {"json": {}}),
    ("GET", f"/api/priority-lists/{NO_LIST}", "priorities_api.show", SIGNED_IN, None),
    (
        "PATCH",
        f"/api/priority-lists/{NO_LIST}",
        "priorities_api.update",
        PLANNERS,
        {"json": {"version": 1}},
    ),
    ("DELETE", f"/api/priority-lists/{NO_LIST}?version=1", "priorities_api.delete", PLANNERS, None),
    (
        "POST",
        f"/api/priority-lists/{NO_LIST}/items",
        "priorities_api.add_items",
        PLANNERS,
        {"json": {"unit_ids": [], "version": 1}},
    ),
    (
        "POST",
        f"/api/priority-lists/{NO_LIST}/items/remove",
        "priorities_api.remove_items",
        PLANNERS,
        {"json": {"unit_ids": [], "version": 1}},
    ),
    ("GET", f"/api/priority-lists/{NO_LIST}/history", "priorities_api.history", SIGNED_IN, None),
    (
        "GET",
        f"/api/priority-lists/{NO_LIST}/compare/{NO_LIST}",
        "priorities_api.compare",
        SIGNED_IN,
        None,
    ),
    (
        "GET",
        f"/api/priority-lists/{NO_LIST}/export.xlsx",
        "priorities_api.export_xlsx",
        SIGNED_IN,
        None,
    ),
    (
        "GET",
        f"/api/priority-lists/{NO_LIST}/export.csv",
        "priorities_api.export_csv",
        SIGNED_IN,
        None,
    ),
    (
        "POST",
        f"/api/priority-lists/{NO_LIST}/restore",
        "priorities_api.restore",
        PLANNERS,
        {"json": {}},
    ),
    ("GET", "/priority-lists", "priorities_pages.index", SIGNED_IN, None),
    ("POST", f"/priority-lists/{NO_LIST}/restore", "priorities_pages.restore", PLANNERS, {}),
    ("POST", "/priority-lists", "priorities_pages.create", PLANNERS, {}),
    ("GET", f"/priority-lists/{NO_LIST}", "priorities_pages.show", SIGNED_IN, None),
    ("POST", f"/priority-lists/{NO_LIST}/edit", "priorities_pages.edit", PLANNERS, {}),
    ("POST", f"/priority-lists/{NO_LIST}/items", "priorities_pages.add_items", PLANNERS, {}),
    (
        "POST",
        f"/priority-lists/{NO_LIST}/items/remove",
        "priorities_pages.remove_items",
        PLANNERS,
        {},
    ),
    ("POST", f"/priority-lists/{NO_LIST}/delete", "priorities_pages.delete", PLANNERS, {}),
    ("GET", "/api/coverage?kind=year&year=2025", "analysis_api.coverage", SIGNED_IN, None),
    (
        "GET",
        "/api/coverage.xlsx?kind=year&year=2025",
        "analysis_api.coverage_xlsx",
        SIGNED_IN,
        None,
    ),
    ("GET", "/api/ranking", "analysis_api.ranking_list", SIGNED_IN, None),
    (
        "POST",
        f"/api/ranking/to-priority-list/{NO_LIST}",
        "analysis_api.add_ranked_to_priority_list",
        PLANNERS,
        {"json": {"top": 1, "version": 1}},
    ),
    ("GET", "/api/sponsorship/balance", "analysis_api.sponsorship_balance_view", SIGNED_IN, None),
    ("GET", "/api/sponsorship/match/{unit}", "analysis_api.sponsorship_match", SIGNED_IN, None),
    ("GET", "/api/sponsorship/area/1", "analysis_api.sponsorship_area", SIGNED_IN, None),
    ("GET", "/api/sponsorships", "sponsorship_api.index", SIGNED_IN, None),
    (
        "GET",
        "/api/sponsorships/commune/{unit}",
        "sponsorship_api.commune_history",
        SIGNED_IN,
        None,
    ),
    ("POST", "/api/sponsorships", "sponsorship_api.start", PLANNERS, {"json": {}}),
    (
        "POST",
        f"/api/sponsorships/{NO_LIST}/end",
        "sponsorship_api.end",
        PLANNERS,
        {"json": {"valid_to": "2026-01-01"}},
    ),
    # fact corrections and imports (planners write; bodies that are refused leave nothing)
    ("GET", "/facts/import", "facts_pages.import_page", SIGNED_IN, None),
    (
        "GET",
        "/facts/import/template/assessments.xlsx",
        "facts_pages.import_template",
        SIGNED_IN,
        None,
    ),
    ("POST", "/facts/import", "facts_pages.import_preview", PLANNERS, {}),
    ("POST", "/facts/import/confirm", "facts_pages.import_confirm", PLANNERS, {}),
    (
        "POST",
        "/api/communes/{unit}/assessments",
        "facts_api.record_assessment",
        PLANNERS,
        {"json": {}},
    ),
    (
        "GET",
        "/api/communes/{unit}/assessments/1/history",
        "facts_api.assessment_history",
        SIGNED_IN,
        None,
    ),
    (
        "POST",
        "/api/communes/{unit}/classifications",
        "facts_api.record_classification",
        PLANNERS,
        {"json": {}},
    ),
    (
        "POST",
        "/api/communes/{unit}/ntm-levels",
        "facts_api.record_ntm_level",
        PLANNERS,
        {"json": {}},
    ),
    ("GET", "/activities", "activities.list_page", SIGNED_IN, None),
    ("GET", "/activities/new", "activities.new_page", SIGNED_IN, None),
    ("GET", f"/activities/{NO_LIST}/edit", "activities.edit_page", SIGNED_IN, None),
    ("GET", f"/activities/{NO_LIST}", "activities.detail_page", SIGNED_IN, None),
    ("POST", f"/activities/{NO_LIST}/delete", "activities.delete_page", OFFICERS, {}),
    ("POST", f"/activities/{NO_LIST}/restore", "activities.restore_page", OFFICERS, {}),
    ("GET", "/activities/export/csv", "activities.export", SIGNED_IN, None),
    ("GET", "/activities/import", "activities.import_page", SIGNED_IN, None),
    ("POST", "/activities/import", "activities.import_excel", OFFICERS, {}),
    ("GET", "/activities/import/template.xlsx", "activities.import_template", SIGNED_IN, None),
    ("GET", "/api/activities", "activities.api_list", SIGNED_IN, None),
    ("GET", "/api/activities/geojson", "activities.api_geojson", SIGNED_IN, None),
    ("POST", "/api/activities", "activities.api_create", OFFICERS, {"json": {}}),
    ("GET", f"/api/activities/{NO_LIST}", "activities.api_get", SIGNED_IN, None),
    ("PUT", f"/api/activities/{NO_LIST}", "activities.api_update", OFFICERS, {"json": {}}),
    ("DELETE", f"/api/activities/{NO_LIST}", "activities.api_delete", OFFICERS, None),
    (
        "POST",
        f"/api/activities/{NO_LIST}/restore",
        "activities.api_restore",
        OFFICERS,
        {"json": {}},
    ),
    ("GET", f"/api/activities/{NO_LIST}/history", "activities.api_history", SIGNED_IN, None),
    ("POST", "/api/activities/locate", "activities.api_locate", OFFICERS, {"json": {}}),
    ("POST", "/api/activities/upload", "activities.api_upload", OFFICERS, {}),
    ("GET", "/api/activities/options", "activities.api_options", SIGNED_IN, None),
    # unit plans (officers: their own unit's plans; ids that do not exist end in 404)
    ("GET", "/plans", "plans.index", SIGNED_IN, None),
    ("POST", "/plans", "plans.create_page", PLANNERS | OFFICERS, {}),
    ("GET", f"/plans/{NO_LIST}", "plans.plan_page", SIGNED_IN, None),
    ("GET", f"/plans/{NO_LIST}/items/new", "plans.new_item_page", SIGNED_IN, None),
    ("GET", f"/plans/items/{NO_LIST}/edit", "plans.edit_item_page", SIGNED_IN, None),
    ("POST", f"/plans/items/{NO_LIST}/missed", "plans.missed_page", PLANNERS | OFFICERS, {}),
    ("POST", f"/plans/items/{NO_LIST}/move", "plans.move_page", PLANNERS | OFFICERS, {}),
    ("POST", f"/plans/items/{NO_LIST}/delete", "plans.delete_item_page", PLANNERS | OFFICERS, {}),
    (
        "POST",
        f"/plans/{NO_LIST}/province-tasks",
        "plans.province_tasks_page",
        PLANNERS | OFFICERS,
        {},
    ),
    ("GET", "/plans/saturday", "plans.saturday_page", SIGNED_IN, None),
    ("GET", f"/plans/{NO_LIST}/calendar.ics", "plans.unit_calendar", SIGNED_IN, None),
    ("GET", "/plans/me/calendar.ics", "plans.user_calendar", SIGNED_IN, None),
    (
        "POST",
        f"/plans/{NO_LIST}/calendar-tokens",
        "plans.make_unit_token",
        PLANNERS | OFFICERS,
        {},
    ),
    ("POST", "/plans/me/calendar-tokens", "plans.make_my_token", SIGNED_IN, {}),
    (
        "POST",
        f"/plans/calendar-tokens/{NO_LIST}/revoke",
        "plans.revoke_token",
        PLANNERS | OFFICERS,
        {},
    ),
    ("GET", f"/api/plans/items/{NO_LIST}", "plans.api_get_item", SIGNED_IN, None),
    (
        "POST",
        f"/api/plans/{NO_LIST}/items",
        "plans.api_add_item",
        PLANNERS | OFFICERS,
        {"json": {}},
    ),
    (
        "PUT",
        f"/api/plans/items/{NO_LIST}",
        "plans.api_update_item",
        PLANNERS | OFFICERS,
        {"json": {}},
    ),
    (
        "POST",
        f"/api/plans/items/{NO_LIST}/activity",
        "plans.api_record_activity",
        OFFICERS,
        {"json": {}},
    ),
    ("GET", "/api/plans/map", "plans.api_map", SIGNED_IN, None),
    (
        "GET",
        "/api/plans/progress?unit=1&from=2025-09-01&to=2025-09-30",
        "plans.api_progress",
        SIGNED_IN,
        None,
    ),
]
#: endpoints deliberately outside the matrix (they change the client's own sign-in state)
NOT_IN_MATRIX = {("POST", "auth.login"), ("POST", "auth.logout"), ("GET", "static")}


@pytest.fixture(scope="module")
def app(seeded_engine):
    app = create_app(app_config(seeded_engine, "required"))
    yield app
    app.extensions["ntm_engine"].dispose()


@pytest.fixture(scope="module")
def clients(app) -> dict:
    """One client per role, signed in once for the module."""
    made = {}
    for role in ROLES:
        if role == "anonymous":
            client = app.test_client()
            client.environ_base["HTTP_X_CSRFTOKEN"] = fetch_csrf_token(client)
        else:
            client = login(app.test_client(), role)
        made[role] = client
    return made


@pytest.fixture(scope="module")
def unit_id(app) -> int:
    with Session(app.extensions["ntm_engine"]) as s:
        return s.scalar(
            sa.select(AdminUnit.id)
            .where(AdminUnit.level == "commune", AdminUnit.valid_to.is_(None))
            .order_by(AdminUnit.id)
            .limit(1)
        )


def _endpoint_of(app, method: str, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path.split("?")[0], method=method)[0]
    except (NotFound, MethodNotAllowed):
        return None


def _request(client, method: str, path: str, body):
    if body is None:
        return client.open(path, method=method)
    if "json" in body:
        return client.open(path, method=method, json=body["json"])
    form = {"csrf_token": client.environ_base["HTTP_X_CSRFTOKEN"], **body}
    return client.open(path, method=method, data=form)


def _denied(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "endpoint", "allowed", "body"),
    MATRIX,
    ids=[f"{m} {e}" for m, _, e, _, _ in MATRIX],
)
def test_matrix(app, clients, unit_id, role, method, path, endpoint, allowed, body):
    path = path.format(unit=unit_id)
    if _endpoint_of(app, method, path) != endpoint:
        pytest.skip(f"{endpoint} is not registered in this tree")
    with _request(clients[role], method, path, body) as response:
        _check(response, role, method, path, allowed)


def _check(response, role, method, path, allowed):
    if role in allowed:
        assert not _denied(response), f"{role} was refused {method} {path}"
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
    else:
        assert _denied(response), f"{role} got {response.status_code} for {method} {path}"
        if role == "anonymous":
            expected = 302 if method == "GET" and not path.startswith("/api/") else 401
            assert response.status_code == expected
        else:
            assert response.status_code == 403
            if path.startswith("/api/"):
                assert "không được phép" in response.get_json()["error"]


def test_every_endpoint_has_a_row(app):
    covered = {(m, e) for m, _, e, _, _ in MATRIX} | NOT_IN_MATRIX
    missing = [
        f"{method} {rule.endpoint} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if (method, rule.endpoint) not in covered
    ]
    assert not missing, f"add rows to MATRIX for: {missing}"


def test_roles_stay_in_force_after_signing_in_again(app):
    """A viewer who signs in again as a planner gets a planner's rights (no stale session)."""
    client = login(app.test_client(), "viewer")
    assert client.post("/api/priority-lists", json={}).status_code == 403
    login(client, "planner")
    assert client.post("/api/priority-lists", json={}).status_code not in (401, 403)


def _two_current_departments(app) -> tuple[tuple[str, int], tuple[str, int]]:
    with Session(app.extensions["ntm_engine"]) as s:
        rows = s.execute(
            sa.select(Organisation.code, Organisation.id)
            .where(Organisation.kind == "department", Organisation.valid_to.is_(None))
            .order_by(Organisation.id)
            .limit(2)
        ).all()
    return tuple(rows[0]), tuple(rows[1])


def _activity(organiser_id: int, description: str) -> dict:
    today = dt.date.today()
    saturday = today - dt.timedelta(days=(today.weekday() - 5) % 7 or 7)
    return {
        "activity_date": saturday.isoformat(),
        "type_code": "ROAD_REPAIR",
        "organiser_id": organiser_id,
        "participants": 12,
        "description": description,
        "geometry": {"type": "Point", "coordinates": [107.0, 16.8]},
        "confirm_duplicate": True,
    }


def test_officers_write_only_their_own_units_activities(app):
    if _endpoint_of(app, "POST", "/api/activities") != "activities.api_create":
        pytest.skip("no activities API in this tree")
    (code_a, org_a), (code_b, org_b) = _two_current_departments(app)
    officer_a = login(app.test_client(), "department_officer", code_a)
    officer_b = login(app.test_client(), "department_officer", code_b)
    made = []
    try:
        own = officer_a.post("/api/activities", json=_activity(org_a, "của sở A"))
        assert own.status_code == 201, own.get_json()
        mine = own.get_json()
        made.append(mine["id"])
        other = officer_a.post("/api/activities", json=_activity(org_b, "mạo danh sở B"))
        assert other.status_code == 403
        assert "chính đơn vị mình" in other.get_json()["error"]

        url = f"/api/activities/{mine['id']}"
        edit = {**_activity(org_a, "sửa bởi sở B"), "version": mine["version"]}
        assert officer_b.put(url, json=edit).status_code == 403
        assert officer_b.delete(f"{url}?version={mine['version']}").status_code == 403
        moved = {**_activity(org_b, "chuyển sang sở B"), "version": mine["version"]}
        assert officer_a.put(url, json=moved).status_code == 403
        assert officer_a.put(url, json=edit).status_code == 200
        admin = login(app.test_client(), "admin")
        assert admin.get(url).get_json()["description"] == "sửa bởi sở B"
    finally:
        with Session(app.extensions["ntm_engine"]) as s:
            for activity_id in made:
                s.execute(
                    sa.delete(ActivityCommune).where(ActivityCommune.activity_id == activity_id)
                )
                s.execute(
                    sa.delete(activity_criterion).where(
                        activity_criterion.c.activity_id == activity_id
                    )
                )
                s.execute(sa.delete(Activity).where(Activity.id == activity_id))
            s.commit()
