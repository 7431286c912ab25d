"""Signing in from tests: ``login(client, role)``, client fixtures per role, and a browser helper.

Use in a test module (or, once sign-in is on for the whole suite, in ``tests/web/conftest.py``)::

    from tests.web.auth_fixtures import anon_client, dept_client, planner_client, viewer_client  # noqa: F401

Each signed-in client sends this session's CSRF token as ``X-CSRFToken`` on every request, as
the app's JavaScript does; ``client.csrf_token`` holds it for forms. Accounts are made once per
database (``test-<role>[-<org code>]``) and reset (active, unlocked, known password) on each use.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.models import Organisation, UserAccount
from services import accounts

PASSWORD = "mat-khau-thu-nghiem-1"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def first_department_code(engine: sa.Engine) -> str:
    """Code of the first department in the database, current ones (no end date) first."""
    with Session(engine) as session:
        return session.scalar(
            sa.select(Organisation.code)
            .where(Organisation.kind == "department")
            .order_by(Organisation.valid_to.is_not(None), Organisation.id)
        )


def ensure_user(
    engine: sa.Engine, role: str, organisation_code: str | None = None
) -> tuple[str, str]:
    """Create (or reset) the test account for ``role``; returns ``(username, password)``."""
    username = f"test-{role.replace('_', '-')}" + (
        f"-{organisation_code}".lower() if organisation_code else ""
    )
    username = re.sub(r"[^a-z0-9._-]", "-", username)[:80]
    with Session(engine) as session:
        org_id = (
            accounts.organisation_by_code(session, organisation_code).id
            if organisation_code
            else None
        )
        if role in accounts.UNIT_ROLES and org_id is None:
            code = first_department_code(engine)
            org_id = accounts.organisation_by_code(session, code).id
        user = session.scalar(sa.select(UserAccount).where(UserAccount.username == username))
        if user is None:
            accounts.create_user(session, username, PASSWORD, role, organisation_id=org_id)
        else:
            accounts.change_password(session, username, PASSWORD)
            user.is_active, user.role, user.organisation_id = True, role, org_id
        session.commit()
    return username, PASSWORD


def fetch_csrf_token(client) -> str:
    """The session's token, read from the login page's form like a browser would."""
    response = client.get("/login")
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, "the login page carries no csrf_token field"
    return match.group(1)


def login(client, role: str, organisation_code: str | None = None):
    """Sign ``client`` in as a (test) user with ``role``; returns the client, ready for writes."""
    engine = client.application.extensions["ntm_engine"]
    username, password = ensure_user(engine, role, organisation_code)
    token = fetch_csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.csrf_token = fetch_csrf_token(client)
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.csrf_token
    client.username = username
    return client


def browser_login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in a Playwright ``page`` through the real login form."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def anon_client(app):
    """Not signed in; still sends a valid CSRF token so only the sign-in rule decides."""
    client = app.test_client()
    client.csrf_token = fetch_csrf_token(client)
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.csrf_token
    return client


@pytest.fixture
def admin_client(app):
    return login(app.test_client(), "admin")


@pytest.fixture
def planner_client(app):
    return login(app.test_client(), "planner")


@pytest.fixture
def viewer_client(app):
    return login(app.test_client(), "viewer")


@pytest.fixture
def dept_organisation_code(app) -> str:
    """The department the ``dept_client`` officer belongs to (override to choose another)."""
    return first_department_code(app.extensions["ntm_engine"])


@pytest.fixture
def dept_client(app, dept_organisation_code):
    """A department officer of ``dept_organisation_code``."""
    return login(app.test_client(), "department_officer", dept_organisation_code)


def app_config(seeded_engine: sa.Engine, mode: str = "required", **extra) -> dict:
    """``create_app`` settings for a test app on the seeded database with ``NTM_AUTH=mode``."""
    return {
        "TESTING": True,
        "DATABASE_URL": seeded_engine.url.render_as_string(False),
        "NTM_SECRET_KEY": "test",
        "NTM_AUTH": mode,
        **extra,
    }
