"""A PostgreSQL primary and its streaming replica of our own, for the replica tests and bench.

Both run from Debian's PostgreSQL 15 binaries in a temporary directory on free loopback ports
(``initdb`` for the primary, ``pg_basebackup -R`` for the replica), never the machine's cluster
on 5432; as the ``postgres`` user when run as root (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*args: str) -> None:
    command = [str(PG_BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=180)


class Server:
    def __init__(self, directory: Path, name: str):
        self.directory, self.data, self.port = directory, directory / name, free_port()
        self.log = directory / f"{name}.log"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        _run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        _run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class Pair:
    """``primary`` and ``replica`` (streaming from it); ``wait_caught_up()``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.primary = Server(directory, "primary")
        self.replica = Server(directory, "replica")

    def create(self, database: str) -> None:
        _run("initdb", "-D", str(self.primary.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.primary.start()
        admin = sa.create_engine(self.primary.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        db = sa.create_engine(self.primary.url(database))
        with db.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION postgis"))
        db.dispose()
        _run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.replica.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.replica.start()

    def wait_caught_up(self, database: str, timeout_s: float = 60) -> None:
        """Until the replica has replayed everything the primary has written."""
        primary = sa.create_engine(self.primary.url(database))
        replica = sa.create_engine(self.replica.url(database))
        try:
            with primary.connect() as conn:
                target = conn.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar()
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                with replica.connect() as conn:
                    done = conn.execute(
                        sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"),
                        {"t": target},
                    ).scalar()
                if done:
                    return
                time.sleep(0.1)
            raise TimeoutError("the replica did not catch up")
        finally:
            primary.dispose()
            replica.dispose()

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                server.stop()


@contextlib.contextmanager
def primary_and_replica(database: str) -> Iterator[Pair]:
    # under /tmp, not pytest's tmp_path: the postgres user cannot enter root's 0700 pytest dir
    directory = Path(tempfile.mkdtemp(prefix="ntm_replica_"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    pair = Pair(directory)
    try:
        pair.create(database)
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(directory, ignore_errors=True)
