"""The database goes away and comes back: a "try again" answer (503), never a stack trace,
then normal pages again without restarting the app.

Runs against a PostgreSQL instance this test starts and stops itself (own data directory and
port), as the ``postgres`` user when run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo import schema
from geo.db import make_engine
from geo.models import AdminUnit
from tests.web.auth_fixtures import app_config, login
from webmap.app import create_app

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (PG_BIN / "pg_ctl").exists(), reason="PostgreSQL 15 binaries absent"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """A throwaway PostgreSQL server: ``start()``, ``stop()``, ``url(db)``."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port
        self.data = directory / "data"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def instance():
    # under /tmp, not pytest's tmp_path: the postgres user cannot enter root's 0700 pytest dir
    directory = Path(tempfile.mkdtemp(prefix="ntm_h8_pg_"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = Instance(directory, _free_port())
    server.init()
    server.start()
    try:
        admin = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE ntm_h8_outage"))
        admin.dispose()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def outage_app(instance):
    engine = make_engine(instance.url("ntm_h8_outage"))
    schema.upgrade(engine)
    with Session(engine) as s:
        unit = AdminUnit(name="Xã Thử Mất Kết Nối", level="commune", kind="xa")
        s.add(unit)
        s.commit()
        unit_id = unit.id
    # the app needs organisations only for unit officers; a viewer account is enough here
    app = create_app(app_config(engine, "required"))
    app.config["TEST_UNIT_ID"] = unit_id
    yield app
    app.extensions["ntm_engine"].dispose()
    engine.dispose()


def _assert_try_again(response, *, json: bool) -> None:
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text
    if json:
        assert "thử lại" in response.get_json()["error"]
    else:
        assert "thử lại" in text and "<html" in text


def test_outage_says_try_again_then_recovers(instance, outage_app):
    client = login(outage_app.test_client(), "viewer")
    unit_id = outage_app.config["TEST_UNIT_ID"]
    page, api = f"/communes/{unit_id}/history", "/api/priority-lists"
    assert client.get(page).status_code == 200
    assert client.get(api).status_code == 200

    instance.stop()
    _assert_try_again(client.get(page), json=False)
    _assert_try_again(client.get(api), json=True)
    anonymous = outage_app.test_client()
    login_page = anonymous.get("/login")  # the login form itself needs no database
    assert login_page.status_code == 200

    instance.start()
    assert client.get(page).status_code == 200
    recovered = client.get(api)
    assert recovered.status_code == 200 and recovered.get_json() == []
