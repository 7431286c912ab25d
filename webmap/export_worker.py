"""``ntm worker``: runs the export jobs of the database queue (``services.export_jobs``).

One worker = one thread with one headless Chromium (``services.snapshots.Renderer``, which is
bound to its thread). A job renders pages of this app **as the user who asked for it**: the
worker opens a server-side session for that user (``services.user_sessions``), signs its cookie
with the app's secret key, answers the export browser's requests in-process with that cookie
(nothing leaves the process), and ends the session after the job. So the export passes the
same permission checks as the user and shows only what they may see.

Faults: a job that fails in the browser (driver gone, Chromium killed, a page that hangs past
``NTM_EXPORT_TIMEOUT_S`` — the watchdog kills Chromium) is failed with a message, the browser is
started afresh for the next job. A worker that dies leaves its job to another worker (heartbeat).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from pathlib import Path

import psutil
from flask import Flask
from flask import session as flask_session
from sqlalchemy.orm import Session

from geo.errors import NtmError
from geo.models import ExportJob, UserAccount
from services import export_jobs, user_sessions
from services.snapshots import PageSize, Renderer

log = logging.getLogger(__name__)
TIMEOUT_MSG = "Xuất tệp quá {s} giây nên đã dừng; hãy thử lại với ít xã hơn hoặc khổ giấy nhỏ hơn."
BROWSER_MSG = "Trình duyệt xuất tệp gặp lỗi và đã được khởi động lại; hãy thử xuất lại."


def export_dir(app: Flask) -> Path:
    configured = app.config.get("NTM_EXPORT_DIR") or ""
    return Path(configured) if configured else Path(app.instance_path) / "exports"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _user_cookie(app: Flask, db: Session, username: str) -> tuple[str | None, str | None]:
    """A signed session cookie of ``username`` and its server-side session id."""
    from webmap import auth
    from webmap.db import get_session

    user = db.query(UserAccount).filter_by(username=username).one_or_none()
    if user is None or not user.is_active:
        return None, None
    with app.test_request_context():
        auth.sign_in(user)
        get_session().commit()
        data = dict(flask_session)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return serializer.dumps(data), data.get("sid")


def _fetcher(app: Flask, cookie: str | None):
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    headers = {"Cookie": f"{name}={cookie}"} if cookie else {}
    client = app.test_client(use_cookies=False)
    dropped = {"content-length", "set-cookie", "transfer-encoding"}

    def fetch(path: str):
        with client.get(path, headers=headers) as response:
            body = response.get_data()
            kept = {k: v for k, v in response.headers.items() if k.lower() not in dropped}
            return response.status_code, kept, body

    return fetch


def _chromium_children() -> list[psutil.Process]:
    """This process's Chromium processes (Debian's wrapper execs /usr/lib/chromium/chromium)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name().startswith("chrom"):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


class Worker:
    """Claims and runs jobs until ``stop`` is set (or the queue is empty, with ``once``)."""

    def __init__(self, app: Flask, stop: threading.Event | None = None):
        self.app = app
        self.stop = stop or threading.Event()
        self.name = worker_name()
        self.executable = app.config.get("NTM_CHROMIUM") or "/usr/bin/chromium"
        self.timeout_s = float(app.config.get("NTM_EXPORT_TIMEOUT_S") or 300)
        self.keep = dt.timedelta(hours=float(app.config.get("NTM_EXPORT_KEEP_HOURS") or 24))
        self.renderer: Renderer | None = None
        self._expired_at = 0.0

    def _session(self) -> Session:
        return self.app.extensions["ntm_sessions"]()

    def run(self, once: bool = False, poll_s: float = 1.0) -> int:
        """Run jobs; returns how many were taken."""
        taken = 0
        try:
            while not self.stop.is_set():
                with self._session() as db:
                    self._expire(db)
                    job = export_jobs.claim(db, self.name)
                    if job is None:
                        if once:
                            break
                        self.stop.wait(poll_s)
                        continue
                    taken += 1
                    self.run_one(db, job)
        finally:
            self._close_renderer()
        return taken

    def _expire(self, db: Session) -> None:
        if time.monotonic() - self._expired_at > 600:
            self._expired_at = time.monotonic()
            removed = export_jobs.expire(db, self.keep)
            if removed:
                log.info("removed %d export jobs older than %s", removed, self.keep)

    def _close_renderer(self) -> None:
        if self.renderer is not None:
            try:
                self.renderer.close()
            except Exception:  # noqa: BLE001 - a dead driver cannot close cleanly
                log.warning("export browser did not close cleanly; started anew next time")
            self.renderer = None

    def run_one(self, db: Session, job: ExportJob) -> None:
        started = time.perf_counter()
        done = threading.Event()
        timed_out = threading.Event()
        beat = threading.Thread(
            target=self._watch, args=(job.id, started, done, timed_out), daemon=True
        )
        beat.start()
        cookie, sid = _user_cookie(self.app, db, job.owner)
        try:
            if cookie is None:
                raise NtmError("Tài khoản yêu cầu xuất tệp đã bị khoá; lượt xuất bị huỷ.")
            body, filename, mimetype = self._render(db, job, _fetcher(self.app, cookie))
            export_jobs.finish(
                db, job, self.name, body, filename, mimetype, export_dir(self.app),
                time.perf_counter() - started,
            )  # fmt: skip
        except NtmError as exc:
            db.rollback()
            message = (
                TIMEOUT_MSG.format(s=int(self.timeout_s)) if timed_out.is_set() else exc.user_msg
            )
            export_jobs.fail(db, job, self.name, message, time.perf_counter() - started)
            self._close_renderer()  # a page that failed may have left the browser unusable
        except Exception:
            db.rollback()
            log.exception("export job %s failed in the browser", job.id)
            message = (
                TIMEOUT_MSG.format(s=int(self.timeout_s)) if timed_out.is_set() else BROWSER_MSG
            )
            export_jobs.fail(db, job, self.name, message, time.perf_counter() - started)
            self._close_renderer()  # the next job starts a fresh driver and browser
        finally:
            done.set()
            beat.join(5)
            if sid:
                user_sessions.end(db, sid)
                db.commit()

    def _watch(
        self, job_id: str, started: float, done: threading.Event, timed_out: threading.Event
    ):
        """Heartbeat of the running job; kills Chromium when the job runs past the timeout."""
        with self._session() as db:
            while not done.wait(export_jobs.HEARTBEAT_S):
                export_jobs.heartbeat(db, job_id, self.name)
                if time.perf_counter() - started > self.timeout_s and not timed_out.is_set():
                    timed_out.set()
                    for process in _chromium_children():
                        process.kill()

    def _render(self, db: Session, job: ExportJob, fetch) -> tuple[bytes, str, str]:
        from webmap.blueprints import exports

        plan = job.plan
        if self.renderer is None:
            self.renderer = Renderer(self.executable)

        def report(done: int, total: int, message: str = "") -> None:
            if not export_jobs.progress(db, job.id, self.name, done, total, message):
                raise NtmError(export_jobs.CANCELLED_MSG)

        report(0, 1, "Đang dựng trang")
        exports.progress_reporter.report = report
        try:
            if plan["mode"] == "png":
                result = self.renderer.png(plan["path"], fetch, PageSize(*plan["size"]))
            else:
                result = self.renderer.pdf(
                    plan["path"], fetch, plan["paper"], bool(plan["landscape"])
                )
        finally:
            exports.progress_reporter.report = None
        return result.body, plan["filename"], plan["mimetype"]


def start_inline(app: Flask) -> tuple[threading.Thread, threading.Event]:
    """A worker thread inside this process (``ntm serve --dev`` and the tests)."""
    stop = threading.Event()
    worker = Worker(app, stop)
    thread = threading.Thread(target=worker.run, name="ntm-export-worker", daemon=True)
    thread.start()
    return thread, stop


def wait_for(app: Flask, job_id: str, timeout_s: float = 120.0) -> ExportJob | None:
    """Block until the job ended (tests, CLI and benches; never in a request)."""
    deadline = time.time() + timeout_s
    while True:
        with app.extensions["ntm_sessions"]() as db:
            job = db.get(ExportJob, job_id)
            if job is None or job.status in export_jobs.ENDED or time.time() > deadline:
                if job is not None:
                    db.expunge(job)
                return job
        time.sleep(0.1)
