from __future__ import annotations

import pytest

from webmap.app import create_app


@pytest.fixture
def app(seeded_engine, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": seeded_engine.url.render_as_string(False),
            "NTM_SECRET_KEY": "test",
            "NTM_AUTH": "off",
        }
    )
    yield app
    app.extensions["ntm_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
