"""Backups of the database and their restore, on both engines.

- PostGIS: ``pg_dump --format=custom`` (consistent snapshot while the app runs) and
  ``pg_restore --clean --if-exists --single-transaction`` (all or nothing);
- SpatiaLite: SQLite's online backup API (a consistent copy while the app writes), and the same
  API backwards to restore, so connections left open see the restored data.

Both check what they restore: a file that is not a backup of an ntm-map database is refused
before anything is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

from geo.db import backend_name, sqlite_module
from geo.errors import NtmError

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, the password passed in the environment."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    parts = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "dbname": parsed.database,
    }
    parts.update({k: str(v) for k, v in parsed.query.items() if isinstance(v, str)})
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None), env


def _sqlite_path(url: str) -> Path:
    return Path(sa.make_url(url).database or "")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise NtmError(f"Không tìm thấy lệnh {name}: hãy cài gói postgresql-client.")
    return found


def backup(url: str, destination: Path) -> Path:
    """Write a backup of the database at ``url`` to ``destination`` (made atomically)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    if backend_name(url) == "postgis":
        dsn, env = _libpq(url)
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), dsn]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise NtmError(f"pg_dump thất bại: {result.stderr.strip()}")
    else:
        module = sqlite_module()
        source, target = module.connect(str(_sqlite_path(url))), module.connect(str(partial))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    partial.replace(destination)
    return destination


def _check_backup(source: Path, backend: str) -> None:
    if not source.is_file():
        raise NtmError(f"Không có tệp sao lưu {source}.")
    head = source.read_bytes()[:16] if source.stat().st_size else b""
    expected = PG_MAGIC if backend == "postgis" else SQLITE_MAGIC
    if not head.startswith(expected):
        kind = "pg_dump --format=custom" if backend == "postgis" else "SQLite/SpatiaLite"
        raise NtmError(
            f"Tệp {source} không phải bản sao lưu {kind} của cơ sở dữ liệu này; không khôi phục gì."
        )
    if backend == "spatialite":
        module = sqlite_module()
        conn = module.connect(f"file:{source}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
        if "alembic_version" not in names:
            raise NtmError(f"Tệp {source} không phải cơ sở dữ liệu ntm-map; không khôi phục gì.")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source``: all of it, or nothing."""
    backend = backend_name(url)
    _check_backup(source, backend)
    if backend == "postgis":
        dsn, env = _libpq(url)
        command = [
            _tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--exit-on-error", "--dbname", dsn, str(source),
        ]  # fmt: skip
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise NtmError(f"pg_restore thất bại, cơ sở dữ liệu không đổi: {result.stderr.strip()}")
        return
    module = sqlite_module()
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source_conn, target = (
        module.connect(f"file:{source}?mode=ro", uri=True),
        module.connect(str(target_path)),
    )
    try:
        source_conn.backup(target)
    finally:
        target.close()
        source_conn.close()
