"""Engines and sessions for SpatiaLite (embedded default) and PostGIS.

Both backends use the same GeoAlchemy2 models; this module hides the few
differences in how a connection is opened.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

# The wheels of shapely, pyproj and pyogrio bundle their own GEOS, PROJ, GDAL and SQLite.
# mod_spatialite links Debian's copies of the same libraries into the process when it is
# loaded; whichever copy comes first wins the shared symbols. Loading the wheels' copies
# first keeps each library talking to its own (otherwise: heap corruption at exit, and
# pyogrio's GeoPackage writer crashes once SpatiaLite is loaded).
import pyogrio  # noqa: F401  isort: skip
import pyproj  # noqa: F401  isort: skip
import shapely  # noqa: F401  isort: skip
import sqlalchemy as sa
from geoalchemy2 import load_spatialite
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

#: SRIDs every SpatiaLite database needs beyond its WGS84 bootstrap set.
EXTRA_SPATIALITE_SRIDS = (3857, 3405, 3406, 32648, 32649)


def sqlite_module() -> ModuleType:
    """Return a DB-API sqlite module that can load extensions.

    The pyenv CPython on our machines is built without extension loading, so
    fall back to ``pysqlite3`` (same API, SQLite built with extensions).
    """
    probe = sqlite3.connect(":memory:")
    try:
        if hasattr(probe, "enable_load_extension"):
            return sqlite3
    finally:
        probe.close()
    import pysqlite3.dbapi2 as module  # type: ignore[import-not-found]

    return module


def backend_name(url: str | sa.Engine) -> str:
    """``"spatialite"`` or ``"postgis"`` for a database URL or engine."""
    text = url if isinstance(url, str) else url.url.render_as_string()
    return "spatialite" if text.startswith("sqlite") else "postgis"


def _on_spatialite_connect(dbapi_conn, connection_record) -> None:
    load_spatialite(dbapi_conn, connection_record, init_mode="WGS84", transaction=True)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    for srid in EXTRA_SPATIALITE_SRIDS:
        cursor.execute("SELECT srid FROM spatial_ref_sys WHERE srid = ?", (srid,))
        if cursor.fetchone() is None:
            cursor.execute("SELECT InsertEpsgSrid(?)", (srid,))
    cursor.close()


def make_engine(url: str, **kwargs) -> sa.Engine:
    """Create an engine for a ``sqlite:///`` (SpatiaLite) or ``postgresql+psycopg://`` URL."""
    if backend_name(url) == "spatialite":
        os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = sa.create_engine(url, module=sqlite_module(), **kwargs)
        event.listen(engine, "connect", _on_spatialite_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # PostgreSQL's JIT compiles the coverage and "last activity" statements for 0.3–1.5 s
    # each, more than they take to run (docs/performance.md, "Coverage"): off for our sessions
    connect_args = kwargs.setdefault("connect_args", {})
    options = connect_args.get("options", "")
    if "jit=" not in options:
        connect_args["options"] = f"{options} -c jit=off".strip()
    return sa.create_engine(url, **kwargs)


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
