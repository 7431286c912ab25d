"""Fixtures shared by every test layer.

The database fixtures run each test on SpatiaLite and on PostGIS (when
``NTM_TEST_POSTGIS_URL`` is set; ``make test`` sets it), each inside a
transaction that is rolled back at the end, as GeoAlchemy2's own tests do.

- ``session``: an empty, migrated database.
- ``seeded``: the same with the real reference data and boundaries loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo import schema
from geo.db import make_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["spatialite", "postgis"]


def data_dir() -> Path:
    """Where the boundary sources live (``NTM_DATA_DIR``, or ../shared/data)."""
    env = os.environ.get("NTM_DATA_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def _postgis_url(suffix: str) -> str:
    base = os.environ.get("NTM_TEST_POSTGIS_URL")
    if not base:
        pytest.skip("NTM_TEST_POSTGIS_URL is not set (make test sets it)")
    return f"{base}{suffix}"


def _fresh_engine(backend: str, name: str, tmp_path_factory) -> sa.Engine:
    if backend == "spatialite":
        path = tmp_path_factory.mktemp("db") / f"{name}.sqlite"
        return make_engine(f"sqlite:///{path}")
    engine = make_engine(_postgis_url(f"_{name}"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def empty_engine(backend, tmp_path_factory) -> sa.Engine:
    engine = _fresh_engine(backend, "empty", tmp_path_factory)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_engine(backend, tmp_path_factory) -> sa.Engine:
    from services import reference_data

    engine = _fresh_engine(backend, "seeded", tmp_path_factory)
    schema.upgrade(engine)
    with Session(engine) as session:
        reference_data.load_all(session, data_dir())
        session.commit()
    yield engine
    engine.dispose()


def _rolled_back_session(engine: sa.Engine):
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(empty_engine) -> Session:
    yield from _rolled_back_session(empty_engine)


@pytest.fixture
def seeded(seeded_engine) -> Session:
    yield from _rolled_back_session(seeded_engine)
