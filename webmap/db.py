"""Database glue for Flask: engines per app, one session per request, read replicas.

With ``NTM_READ_REPLICAS`` set, a read-only request (``GET``/``HEAD`` to an endpoint of
``REPLICA_READS``: map data, panels, lists, coverage, reports) reads from a replica, chosen in
turn among those that answer and are at most ``NTM_REPLICA_MAX_LAG_S`` behind the primary.
Everything else uses the primary (``DATABASE_URL``), and so do the reads of a user for
``NTM_READ_YOUR_WRITES_S`` seconds after that user's last write (the time of the write is kept
in the signed session cookie): a planner who saves a list sees it at once. A replica that is
down or behind is skipped with a log line and checked again a few seconds later; the user never
sees an error for it.
"""

from __future__ import annotations

import fnmatch
import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request, session
from sqlalchemy.orm import Session, sessionmaker

from geo.db import backend_name, make_engine, make_session_factory

log = logging.getLogger(__name__)

#: endpoints whose GET only reads, served from a replica when there is one
REPLICA_READS = (
    "map_api.*",
    "analysis_api.*",
    "sponsorship_api.*",
    "priorities_api.*",
    "priorities_pages.*",
    "history.*",
    "home.index",
    "planner.planner_map",
    "activities.list_page",
    "activities.detail_page",
    "activities.export",
    "activities.api_list",
    "activities.api_geojson",
    "activities.api_get",
    "activities.api_history",
    "plans.index",
    "plans.api_map",
    "plans.api_progress",
    "exports.reports_page",
    "exports.report_excel",
)
READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: session key: when this browser last wrote (Unix time)
WROTE_AT = "_wrote_at"
#: how long a replica's health (reachable, lag) is trusted before it is checked again
RECHECK_S = 2.0
LAG_SQL = sa.text(
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def safe_url(url: str) -> str:
    """A database URL without its password, for log lines."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


@dataclass
class Replica:
    name: str
    engine: sa.Engine
    sessions: sessionmaker[Session]
    checked_at: float = -1e9
    usable: bool = False
    lag_s: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, max_lag_s: float, *, force: bool = False) -> bool:
        """Whether reads may go here now (re-checked every ``RECHECK_S`` seconds)."""
        now = time.monotonic()
        if not force and now - self.checked_at < RECHECK_S:
            return self.usable
        with self.lock:
            if not force and now - self.checked_at < RECHECK_S:
                return self.usable
            was_usable = self.usable or self.checked_at < 0
            try:
                with self.engine.connect() as conn:
                    self.lag_s = float(conn.execute(LAG_SQL).scalar() or 0)
            except sa.exc.SQLAlchemyError as exc:
                self.usable, self.lag_s = False, None
                if was_usable:
                    log.warning(
                        "replica %s unreachable, reading from the primary: %s",
                        self.name,
                        str(exc).splitlines()[0],
                    )
            else:
                self.usable = self.lag_s <= max_lag_s
                if not self.usable and was_usable:
                    log.warning(
                        "replica %s is %.1f s behind (limit %s s), reading from the primary",
                        self.name,
                        self.lag_s,
                        max_lag_s,
                    )
                elif self.usable and not was_usable:
                    log.warning("replica %s is back (%.1f s behind)", self.name, self.lag_s)
            self.checked_at = time.monotonic()
            return self.usable


class Router:
    """The primary engine and the replicas; picks where a request reads."""

    def __init__(self, primary_url: str, replica_urls: list[str], max_lag_s: float):
        self.primary = make_engine(primary_url)
        self.primary_sessions = make_session_factory(self.primary)
        self.max_lag_s = max_lag_s
        self.replicas = [
            Replica(
                name=f"replica{i + 1}",
                engine=(engine := make_engine(url, connect_args={"connect_timeout": 2})),
                sessions=make_session_factory(engine),
            )
            for i, url in enumerate(replica_urls)
        ]
        self._turn = itertools.count()

    def replica(self) -> Replica | None:
        """The next usable replica in turn, or None."""
        n = len(self.replicas)
        start = next(self._turn)
        for k in range(n):
            candidate = self.replicas[(start + k) % n]
            if candidate.check(self.max_lag_s):
                return candidate
        return None

    def dispose(self) -> None:
        self.primary.dispose()
        for replica in self.replicas:
            replica.engine.dispose()


def replica_urls(value: str) -> list[str]:
    return [u for u in re.split(r"[\s,]+", value or "") if u]


def init_app(app: Flask) -> None:
    urls = replica_urls(app.config.get("NTM_READ_REPLICAS", ""))
    if urls and backend_name(app.config["DATABASE_URL"]) != "postgis":
        raise ValueError("NTM_READ_REPLICAS needs a PostgreSQL DATABASE_URL")
    router = Router(
        app.config["DATABASE_URL"], urls, float(app.config.get("NTM_REPLICA_MAX_LAG_S") or 5)
    )
    app.extensions["ntm_router"] = router
    app.extensions["ntm_engine"] = router.primary
    app.extensions["ntm_sessions"] = router.primary_sessions
    app.teardown_appcontext(_close_session)
    app.after_request(_remember_write)


def _recently_wrote() -> bool:
    wrote_at = session.get(WROTE_AT)
    window = float(current_app.config.get("NTM_READ_YOUR_WRITES_S") or 10)
    return isinstance(wrote_at, int | float) and time.time() - wrote_at < window


def _reads_from_replica() -> bool:
    endpoint = request.endpoint or ""
    return (
        request.method in READ_METHODS
        and any(fnmatch.fnmatchcase(endpoint, p) for p in REPLICA_READS)
        and not _recently_wrote()
    )


def get_session() -> Session:
    """The request's session (created on first use): a replica's for a read-only request when
    one is usable, else the primary's."""
    if "db_session" not in g:
        router: Router = current_app.extensions["ntm_router"]
        replica = None
        if router.replicas and has_request_context() and _reads_from_replica():
            replica = router.replica()
        g.db_name = replica.name if replica else "primary"
        g.db_session = (replica.sessions if replica else router.primary_sessions)()
    return g.db_session


def database_used() -> str | None:
    """``primary``, ``replicaN``, or None when the request did not touch the database."""
    return g.get("db_name")


def _remember_write(response: Response) -> Response:
    if request.method in WRITE_METHODS and current_app.extensions["ntm_router"].replicas:
        session[WROTE_AT] = time.time()
    return response


def _close_session(exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        if exc is not None:
            db_session.rollback()
        db_session.close()
