"""The export queue: jobs with status and progress, run one at a time by ONE worker thread that
owns the long-lived headless browser (``services.snapshots.Renderer``).

Design (documented choice): the job table lives in memory, in the process that serves the
request. It holds at most ``MAX_JOBS`` jobs; finished jobs are dropped after ``KEEP_S`` seconds
or when the table is full (oldest finished first). A restart forgets the jobs (the user starts
the export again). With several app processes, poll and download must reach the process that
took the job (one process, or sticky sessions): exports are occasional, seconds long, and a
table in the database would keep file bodies there for nothing. The worker is a plain thread
without an asyncio loop, as Playwright's sync API needs; requests never wait for it, they poll.
"""

from __future__ import annotations

import itertools
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from geo.errors import NtmError
from services.snapshots import Renderer

log = logging.getLogger(__name__)
MAX_JOBS = 50
KEEP_S = 3600
FAILED_MSG = "Xuất tệp thất bại do lỗi hệ thống; hãy thử lại, nếu vẫn lỗi hãy báo quản trị viên."


@dataclass
class Output:
    body: bytes
    filename: str
    mimetype: str


#: ``work(renderer, progress) -> Output``; ``progress(done, total, message)``
Work = Callable[[Renderer, Callable[[int, int, str], None]], Output]


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 1
    message: str = ""
    error: str | None = None
    output: Output | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    seconds: float | None = None

    def as_dict(self) -> dict:
        """What a poll answers (no file body)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "progress": round(self.done / self.total, 3) if self.total else 0,
            "message": self.message,
            "error": self.error,
            "filename": self.output.filename if self.output else None,
            "seconds": self.seconds,
        }


class ExportQueue:
    """Jobs in, one worker out; ``submit`` never blocks on a render."""

    def __init__(self, executable: str | None = None, max_jobs: int = MAX_JOBS):
        self.executable = executable
        self.max_jobs = max_jobs
        self._jobs: dict[str, Job] = {}
        self._work: dict[str, Work] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._counter = itertools.count(1)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="ntm-export", daemon=True)
            self._thread.start()

    def submit(self, kind: str, owner: str, work: Work) -> Job:
        """Queue ``work``; the job's id is unguessable (it names a download)."""
        job = Job(id=f"{next(self._counter)}-{secrets.token_urlsafe(12)}", kind=kind, owner=owner)
        with self._lock:
            self._prune()
            if len(self._jobs) >= self.max_jobs:
                raise NtmError(
                    f"Đang có {len(self._jobs)} lượt xuất chờ xử lý; hãy thử lại sau ít phút."
                )
            self._jobs[job.id] = job
            self._work[job.id] = work
            self._start()
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _prune(self) -> None:
        now = time.time()
        old = [j.id for j in self._jobs.values() if j.finished and now - j.finished > KEEP_S]
        for job_id in old:
            del self._jobs[job_id]
        finished = sorted(
            (j for j in self._jobs.values() if j.finished), key=lambda j: j.finished or 0.0
        )
        while len(self._jobs) >= self.max_jobs and finished:
            del self._jobs[finished.pop(0).id]

    def _run(self) -> None:
        renderer = Renderer(self.executable) if self.executable else Renderer()
        try:
            while (job_id := self._queue.get()) is not None:
                self._one(renderer, job_id)
        finally:
            renderer.close()

    def _one(self, renderer: Renderer, job_id: str) -> None:
        with self._lock:
            job, work = self._jobs.get(job_id), self._work.pop(job_id, None)
        if job is None or work is None:
            return
        job.status, started = "running", time.perf_counter()

        def progress(done: int, total: int, message: str = "") -> None:
            job.done, job.total, job.message = done, max(total, 1), message

        try:
            job.output = work(renderer, progress)
            job.done, job.status = job.total, "done"
        except NtmError as exc:
            job.status, job.error = "failed", exc.user_msg
        except Exception:
            log.exception("export job %s failed", job_id)
            job.status, job.error = "failed", FAILED_MSG
        job.seconds = round(time.perf_counter() - started, 3)
        job.finished = time.time()

    def wait(self, job_id: str, timeout_s: float = 60.0) -> Job | None:
        """Block until the job ends (for the CLI, tests and benchmarks; never in a request)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the worker (closing its browser) after the jobs already queued."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout_s)
