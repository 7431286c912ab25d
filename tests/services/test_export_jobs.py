"""The export queue in the database, on both databases: one worker per job however many
claim at once, a job whose worker died run again at most twice, per-user limits, cancelling,
and finished files removed after their time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NotFoundError, NtmError
from geo.models import ExportJob
from services import export_jobs

PLAN = {"mode": "pdf", "path": "/reports/print", "paper": "A4", "landscape": False,
        "filename": "bao-cao.pdf", "mimetype": "application/pdf"}  # fmt: skip


@pytest.fixture
def queue_engine(empty_engine):
    """Jobs are committed by the workers: the table is emptied before and after each test."""
    with empty_engine.begin() as conn:
        conn.execute(sa.delete(ExportJob))
    yield empty_engine
    with empty_engine.begin() as conn:
        conn.execute(sa.delete(ExportJob))


def _submit(engine, n: int, owner: str = "alice") -> list[str]:
    with Session(engine) as s:
        ids = [
            export_jobs.submit(s, "report", f"{owner}{i}", PLAN, user_limit=5).id for i in range(n)
        ]
        s.commit()
    return ids


def test_workers_claiming_at_once_never_take_the_same_job(queue_engine):
    ids = _submit(queue_engine, 12)
    taken: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        start.wait()
        with Session(queue_engine) as s:
            while (job := export_jobs.claim(s, name)) is not None:
                with lock:
                    taken.append(job.id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(taken) == sorted(ids), "each job once, none lost"
    with Session(queue_engine) as s:
        assert set(s.scalars(sa.select(ExportJob.attempts))) == {1}


def test_a_job_whose_worker_died_is_run_again_then_failed(queue_engine):
    (job_id,) = _submit(queue_engine, 1)
    now = dt.datetime(2026, 12, 5, 8, 0)
    with Session(queue_engine) as s:
        for attempt in range(1, export_jobs.MAX_ATTEMPTS + 1):
            job = export_jobs.claim(s, f"w{attempt}", now=now)
            assert job is not None and job.id == job_id and job.attempts == attempt
            # the worker dies: no heartbeat; nobody may take the job while it is fresh
            assert export_jobs.claim(s, "other", now=now + dt.timedelta(seconds=10)) is None
            now += export_jobs.STALE_AFTER + dt.timedelta(seconds=1)
        assert export_jobs.claim(s, "last", now=now) is None
        job = s.get(ExportJob, job_id, populate_existing=True)
    assert job.status == "failed" and "gián đoạn 3 lần" in job.error


def test_heartbeat_and_progress_keep_the_job_its_workers(queue_engine):
    (job_id,) = _submit(queue_engine, 1)
    with Session(queue_engine) as s:
        job = export_jobs.claim(s, "w1")
        assert export_jobs.progress(s, job_id, "w1", 2, 5, "trang 2")
        assert not export_jobs.progress(s, job_id, "intruder", 3, 5, "trang 3")
        assert (
            export_jobs.as_dict(s.get(ExportJob, job_id, populate_existing=True))["progress"] == 0.4
        )
        assert export_jobs.heartbeat(s, job.id, "w1")


def test_a_user_has_a_few_jobs_at_once_and_can_cancel_them(queue_engine):
    with Session(queue_engine) as s:
        jobs = [export_jobs.submit(s, "png", "bob", PLAN, user_limit=2) for _ in range(2)]
        with pytest.raises(export_jobs.ExportLimitError, match="tối đa 2"):
            export_jobs.submit(s, "png", "bob", PLAN, user_limit=2)
        export_jobs.submit(s, "png", "carol", PLAN, user_limit=2)  # others are not held up
        with pytest.raises(NotFoundError):
            export_jobs.cancel(s, jobs[0].id, "carol")
        cancelled = export_jobs.cancel(s, jobs[0].id, "bob")
        assert cancelled.status == "cancelled"
        export_jobs.submit(s, "png", "bob", PLAN, user_limit=2)
        with pytest.raises(NtmError, match="đã kết thúc"):
            export_jobs.cancel(s, jobs[0].id, "bob")
        s.commit()


def test_a_cancelled_running_job_stops_at_its_next_progress(queue_engine, tmp_path):
    (job_id,) = _submit(queue_engine, 1)
    with Session(queue_engine) as s:
        job = export_jobs.claim(s, "w1")
        export_jobs.cancel(s, job_id, "alice0")
        s.commit()
        assert not export_jobs.progress(s, job_id, "w1", 1, 2, "trang 1")
        stored = export_jobs.finish(s, job, "w1", b"%PDF", "a.pdf", "application/pdf", tmp_path, 1)
    assert not stored and list(tmp_path.iterdir()) == []


def test_files_are_kept_then_removed_with_their_job(queue_engine, tmp_path):
    (job_id,) = _submit(queue_engine, 1)
    with Session(queue_engine) as s:
        job = export_jobs.claim(s, "w1")
        assert export_jobs.finish(s, job, "w1", b"%PDF-1.7", "bao-cao.pdf", "application/pdf",
                                  tmp_path, 0.5)  # fmt: skip
        job = s.get(ExportJob, job_id, populate_existing=True)
        assert export_jobs.read_file(job) == b"%PDF-1.7"
        assert export_jobs.expire(s, dt.timedelta(hours=24)) == 0
        later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=25)
        assert export_jobs.expire(s, dt.timedelta(hours=24), now=later) == 1
        assert s.get(ExportJob, job_id) is None
    assert list(tmp_path.iterdir()) == []
