"""Web fixtures: the app on the seeded database with sign-in required, as in production.

``client`` is a signed-in administrator (allowed everything, sends the CSRF token);
tests of who may do what use the per-role clients of ``tests/web/auth_fixtures.py``.
"""

from __future__ import annotations

import pytest

from tests.web.auth_fixtures import (  # noqa: F401  (fixtures)
    admin_client,
    anon_client,
    app_config,
    dept_client,
    dept_organisation_code,
    login,
    planner_client,
    viewer_client,
)
from webmap.app import create_app


@pytest.fixture
def app(seeded_engine):
    app = create_app(app_config(seeded_engine, "required"))
    yield app
    app.extensions["ntm_engine"].dispose()


@pytest.fixture
def client(app):
    return login(app.test_client(), "admin")


@pytest.fixture(autouse=True)
def fresh_sign_in_counts(request):
    """Failed sign-ins are counted in the database: each test starts with none."""
    if "seeded_engine" not in request.fixturenames:
        yield
        return
    import sqlalchemy as sa

    from geo.models import SignInThrottle

    engine = request.getfixturevalue("seeded_engine")
    with engine.begin() as conn:
        conn.execute(sa.delete(SignInThrottle))
    yield
