"""Read replicas, for real: a primary and a streaming replica of our own (``tests/pg_pair.py``).

Reads of map data and lists go to the replica, writes and the writer's reads just after go to
the primary; a replica that lags or is down is skipped with a log line, never an error page.
The replica's replay is paused to make "which database answered" visible in the data itself.
"""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from geo import schema
from geo.db import make_engine
from tests.pg_pair import PG_BIN, primary_and_replica
from tests.web.auth_fixtures import app_config, login
from webmap.app import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (PG_BIN / "pg_basebackup").exists(), reason="PostgreSQL 15 absent"),
]
DB = "ntm_replica_test"
RYW_S = 1.5


@pytest.fixture(scope="module")
def pair():
    with primary_and_replica(DB) as pair:
        engine = make_engine(pair.primary.url(DB))
        schema.upgrade(engine)
        engine.dispose()
        yield pair


@pytest.fixture(scope="module")
def app(pair):
    engine = make_engine(pair.primary.url(DB))
    app = create_app(
        app_config(
            engine,
            NTM_READ_REPLICAS=pair.replica.url(DB),
            NTM_READ_YOUR_WRITES_S=str(RYW_S),
            NTM_REPLICA_MAX_LAG_S="3600",
        )
    )
    yield app
    app.extensions["ntm_router"].dispose()
    engine.dispose()


def served_by(caplog, path: str) -> str:
    lines = [r.getMessage() for r in caplog.records if r.name == "ntm.request"]
    line = [m for m in lines if f"path={path} " in m][-1]
    return line.rsplit("db=", 1)[1]


def list_names(client, caplog) -> tuple[set[str], str]:
    caplog.clear()
    response = client.get("/api/priority-lists")
    assert response.status_code == 200
    return {p["name"] for p in response.get_json()}, served_by(caplog, "/api/priority-lists")


def recheck(app) -> None:
    for replica in app.extensions["ntm_router"].replicas:
        replica.checked_at = -1e9


def replica_sql(pair, sql: str) -> None:
    engine = sa.create_engine(pair.replica.url(DB), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(sql))
    engine.dispose()


def test_routing_read_your_writes_lag_and_fallback(pair, app, caplog):
    caplog.set_level(logging.INFO)
    planner = login(app.test_client(), "planner")
    viewer = login(app.test_client(), "viewer")
    pair.wait_caught_up(DB)
    time.sleep(RYW_S)  # the sign-ins were writes

    # a read goes to the replica; a write goes to the primary
    assert list_names(viewer, caplog) == (set(), "replica1")
    replica_sql(pair, "SELECT pg_wal_replay_pause()")
    caplog.clear()
    created = planner.post("/api/priority-lists", json={"name": "Xã ưu tiên quý 4"})
    assert created.status_code == 201
    assert served_by(caplog, "/api/priority-lists") == "primary"

    # the writer reads its write at once (primary); others read the (paused) replica
    assert list_names(planner, caplog) == ({"Xã ưu tiên quý 4"}, "primary")
    assert list_names(viewer, caplog) == (set(), "replica1")
    time.sleep(RYW_S)
    assert list_names(planner, caplog) == (set(), "replica1")

    # a replica further behind than the limit is skipped, with a log line
    app.extensions["ntm_router"].max_lag_s = 0.5
    recheck(app)
    assert list_names(viewer, caplog) == ({"Xã ưu tiên quý 4"}, "primary")
    assert any(
        "replica1 is" in r.getMessage() and "behind" in r.getMessage() for r in caplog.records
    )

    app.extensions["ntm_router"].max_lag_s = 3600
    replica_sql(pair, "SELECT pg_wal_replay_resume()")
    pair.wait_caught_up(DB)
    recheck(app)
    assert list_names(viewer, caplog) == ({"Xã ưu tiên quý 4"}, "replica1")
    assert viewer.get("/readyz").get_json()["status"] == "ok"

    # a replica that is down is skipped: no error page, a log line, the primary answers
    pair.replica.stop()
    recheck(app)
    assert list_names(viewer, caplog) == ({"Xã ưu tiên quý 4"}, "primary")
    assert any("replica1 unreachable" in r.getMessage() for r in caplog.records)
    page = viewer.get("/priority-lists")
    assert page.status_code == 200
    ready = viewer.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"

    # and it is used again once back
    pair.replica.start()
    pair.wait_caught_up(DB)
    recheck(app)
    assert list_names(viewer, caplog) == ({"Xã ưu tiên quý 4"}, "replica1")


def test_writes_never_go_to_a_replica(pair, app, caplog):
    caplog.set_level(logging.INFO)
    planner = login(app.test_client(), "planner")
    time.sleep(RYW_S)
    pair.wait_caught_up(DB)
    caplog.clear()
    response = planner.post("/api/priority-lists", json={"name": "Danh sách thứ hai"})
    assert response.status_code == 201
    assert served_by(caplog, "/api/priority-lists") == "primary"
