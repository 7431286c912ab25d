"""The export queue, kept in the database: jobs go in from any web process and are run by
``ntm worker`` processes (``webmap.export_worker``), each with its own headless Chromium.

Why a table and not a queue library: the jobs must survive restarts, be visible to every web
process, carry their progress and their file's place, and run on SpatiaLite as on PostGIS.
RQ, Celery and Dramatiq need a broker (Redis, RabbitMQ) a province would have to run beside the
database; the PostgreSQL-only queues (procrastinate, pgqueuer) do not run on SQLite. One table
and a compare-and-swap claim is what both databases do well.

- **claim**: ``UPDATE … SET status='running' WHERE id = :id AND status = 'queued'`` (or a running
  job whose heartbeat stopped): the database lets one worker through, never two.
- **heartbeat**: a running job's worker updates ``heartbeat_at`` every few seconds; a job whose
  heartbeat is older than ``STALE_AFTER`` lost its worker and is run again, at most
  ``MAX_ATTEMPTS`` times in all, then failed with a message.
- **files** are written to the export directory under the job's unguessable id and removed with
  the job ``keep`` after it ended (``expire``).
- **limits**: a user has at most ``user_limit`` jobs waiting or running; a job can be cancelled.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from http import HTTPStatus
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo.errors import NotFoundError, NtmError
from geo.models import ExportJob

#: the first run and two retries
MAX_ATTEMPTS = 3
#: a running job whose heartbeat is older than this lost its worker
STALE_AFTER = dt.timedelta(seconds=45)
HEARTBEAT_S = 5.0
FAILED_MSG = "Xuất tệp thất bại do lỗi hệ thống; hãy thử lại, nếu vẫn lỗi hãy báo quản trị viên."
INTERRUPTED_MSG = (
    "Xuất tệp bị gián đoạn {n} lần (máy xuất tệp dừng giữa chừng); hãy thử lại sau ít phút, "
    "nếu vẫn lỗi hãy báo quản trị viên."
)
CANCELLED_MSG = "Đã huỷ theo yêu cầu."
ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")


class ExportLimitError(NtmError):
    http_status = HTTPStatus.TOO_MANY_REQUESTS


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def submit(
    session: Session,
    kind: str,
    owner: str,
    plan: dict,
    *,
    language: str = "vi",
    user_limit: int = 3,
) -> ExportJob:
    """Queue a job (the caller commits); refused when ``owner`` already has ``user_limit``."""
    waiting = session.scalar(
        sa.select(sa.func.count())
        .select_from(ExportJob)
        .where(ExportJob.owner == owner, ExportJob.status.in_(ACTIVE))
    )
    if (waiting or 0) >= user_limit:
        raise ExportLimitError(
            f"Bạn đang có {waiting} lượt xuất chờ hoặc đang chạy (tối đa {user_limit}): hãy chờ "
            "chúng xong, hoặc huỷ bớt, rồi xuất tiếp."
        )
    job = ExportJob(
        id=secrets.token_urlsafe(24),
        kind=kind,
        owner=owner,
        language=language,
        plan=plan,
        status="queued",
        attempts=0,
        done=0,
        total=1,
        message="Đang chờ đến lượt",
    )
    session.add(job)
    session.flush()
    return job


def get_for(session: Session, job_id: str, owner: str) -> ExportJob:
    """The job if ``owner`` made it; else not found (other users' jobs do not exist for them)."""
    job = session.get(ExportJob, job_id) if len(job_id) <= 40 else None
    if job is None or job.owner != owner:
        raise NotFoundError("Không tìm thấy lượt xuất này (đã hết hạn hoặc không phải của bạn).")
    return job


def as_dict(job: ExportJob) -> dict:
    """What a poll answers (no file body)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "progress": round(job.done / job.total, 3) if job.total else 0,
        "message": job.message,
        "error": job.error,
        "filename": job.filename if job.status == "done" else None,
        "seconds": job.seconds,
        "attempts": job.attempts,
    }


def cancel(session: Session, job_id: str, owner: str) -> ExportJob:
    """Cancel a waiting or running job (a running one stops at its next progress report)."""
    job = get_for(session, job_id, owner)
    if job.status in ENDED:
        raise NtmError(f"Lượt xuất này đã kết thúc ({job.status}), không huỷ được nữa.")
    session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job.id, ExportJob.status.in_(ACTIVE))
        .values(status="cancelled", error=CANCELLED_MSG, finished_at=_now())
    )
    session.flush()
    session.refresh(job)
    return job


def claim(session: Session, worker: str, now: dt.datetime | None = None) -> ExportJob | None:
    """Take the oldest waiting job (or one whose worker died) for ``worker``; commits."""
    now = now or _now()
    stale = now - STALE_AFTER
    lost = sa.and_(ExportJob.status == "running", ExportJob.heartbeat_at < stale)
    candidates = session.execute(
        sa.select(ExportJob.id, ExportJob.status, ExportJob.attempts)
        .where(sa.or_(ExportJob.status == "queued", lost))
        .order_by(ExportJob.created_at)
        .limit(10)
    ).all()
    for job_id, status, attempts in candidates:
        if status == "running" and attempts >= MAX_ATTEMPTS:
            session.execute(
                sa.update(ExportJob)
                .where(ExportJob.id == job_id, lost)
                .values(
                    status="failed",
                    error=INTERRUPTED_MSG.format(n=attempts),
                    finished_at=now,
                )
            )
            session.commit()
            continue
        taken = session.execute(
            sa.update(ExportJob)
            .where(ExportJob.id == job_id, sa.or_(ExportJob.status == "queued", lost))
            .values(
                status="running",
                attempts=ExportJob.attempts + 1,
                worker=worker[:120],
                started_at=now,
                heartbeat_at=now,
                done=0,
                message="Đang dựng trang",
            )
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if taken == 1:
            job = session.get(ExportJob, job_id, populate_existing=True)
            return job
    session.commit()
    return None


def heartbeat(session: Session, job_id: str, worker: str) -> bool:
    """Say the job's worker is alive; False when the job is no longer this worker's to run."""
    alive = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "running", ExportJob.worker == worker)
        .values(heartbeat_at=_now())
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return alive == 1


def progress(
    session: Session, job_id: str, worker: str, done: int, total: int, message: str
) -> bool:
    """Record progress; False when the job was cancelled (or taken over) meanwhile."""
    moved = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "running", ExportJob.worker == worker)
        .values(done=done, total=max(total, 1), message=message[:300], heartbeat_at=_now())
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return moved == 1


def _suffix(filename: str) -> str:
    return Path(filename).suffix if Path(filename).suffix in (".png", ".pdf", ".xlsx") else ""


def finish(
    session: Session,
    job: ExportJob,
    worker: str,
    body: bytes,
    filename: str,
    mimetype: str,
    export_dir: Path,
    seconds: float,
) -> bool:
    """Store the file and mark the job done; False (file removed) if it was cancelled meanwhile."""
    export_dir.mkdir(parents=True, exist_ok=True)
    path = export_dir / f"{job.id}{_suffix(filename)}"
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(body)
    os.replace(partial, path)
    ended = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job.id, ExportJob.status == "running", ExportJob.worker == worker)
        .values(
            status="done",
            done=ExportJob.total,
            message="Xong",
            filename=filename,
            mimetype=mimetype,
            file_path=str(path),
            finished_at=_now(),
            seconds=round(seconds, 3),
        )
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if ended != 1:
        path.unlink(missing_ok=True)
    return ended == 1


def fail(session: Session, job: ExportJob, worker: str, message: str, seconds: float) -> None:
    session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job.id, ExportJob.status == "running", ExportJob.worker == worker)
        .values(status="failed", error=message, finished_at=_now(), seconds=round(seconds, 3))
    )
    session.commit()


def read_file(job: ExportJob) -> bytes:
    """The finished job's file."""
    if job.status != "done" or not job.file_path:
        raise NtmError("Tệp chưa sẵn sàng; hãy chờ lượt xuất hoàn tất.")
    path = Path(job.file_path)
    if not path.is_file():
        raise NotFoundError("Tệp của lượt xuất này đã bị xoá sau thời hạn lưu; hãy xuất lại.")
    return path.read_bytes()


def expire(session: Session, keep: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Remove the jobs that ended more than ``keep`` ago, and their files; how many."""
    cutoff = (now or _now()) - keep
    old = list(
        session.scalars(
            sa.select(ExportJob).where(ExportJob.status.in_(ENDED), ExportJob.finished_at < cutoff)
        )
    )
    for job in old:
        if job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
        session.delete(job)
    session.commit()
    return len(old)
