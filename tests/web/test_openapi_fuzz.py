"""Property-based run (schemathesis) against ``/api/openapi.json``: no server errors.

The app runs in-process (WSGI) with sign-in required, as an admin with the CSRF header, on a
copy of the seeded SpatiaLite database (the fuzzer writes). Examples are bounded per operation.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.web.auth_fixtures import app_config, login
from webmap import openapi
from webmap.app import create_app

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")


@pytest.fixture(scope="module")
def fuzz_app(backend, seeded_engine, tmp_path_factory):
    if backend != "spatialite":
        pytest.skip("fuzzed on a throwaway SpatiaLite copy; the PostGIS test DB is shared")
    copy = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    seeded_engine.dispose()
    shutil.copyfile(seeded_engine.url.database, copy)
    app = create_app(app_config(seeded_engine, "required", DATABASE_URL=f"sqlite:///{copy}"))
    yield app
    app.extensions["ntm_engine"].dispose()


@pytest.fixture(scope="module")
def admin_headers(fuzz_app) -> dict:
    client = login(fuzz_app.test_client(), "admin")
    return {"X-CSRFToken": client.csrf_token, "cookie": client.get_cookie("ntm_session").value}


@pytest.fixture
def api_schema(fuzz_app, admin_headers):
    """The document as the app serves it (to a signed-in user), bound to the app for calls."""
    client = fuzz_app.test_client()
    client.set_cookie("ntm_session", admin_headers["cookie"])
    loaded = schemathesis.openapi.from_dict(client.get("/api/openapi.json").get_json())
    loaded.app = fuzz_app
    return loaded


def test_no_server_errors(api_schema, admin_headers):
    """Every documented operation, a bounded number of generated requests each."""
    cookies = {"ntm_session": admin_headers["cookie"]}
    headers = {"X-CSRFToken": admin_headers["X-CSRFToken"]}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, cookies=cookies, checks=[not_a_server_error])

        run()


def test_every_api_route_is_documented(fuzz_app):
    assert openapi.undocumented_routes(fuzz_app) == []


def test_document_shape(fuzz_app, admin_headers):
    client = fuzz_app.test_client()
    assert client.get("/api/openapi.json").status_code == 401
    client.set_cookie("ntm_session", admin_headers["cookie"])
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    item = doc["paths"]["/api/priority-lists/{list_id}"]["patch"]
    assert {"name": "list_id", "in": "path", "required": True, "schema": openapi.INT} in item[
        "parameters"
    ]
    assert "409" in item["responses"] and item["security"] == [{"session": [], "csrf": []}]
    assert openapi.openapi_path("/api/a/<int:a_id>/b/<name>") == "/api/a/{a_id}/b/{name}"
