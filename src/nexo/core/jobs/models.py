"""The jobs table and the periodic schedules table.

A job is a row: what to run (`kind` + JSON `payload`), when (`due_at`), and who holds it (`lease_owner`
until `lease_expires_at`). Status moves queued → running → done, or → failed (retried later) → dead
(gave up). A crashed worker's running jobs are taken again once their lease expires.

`dedupe_key` keeps at most one active (queued, running or failed) job per key: enqueueing a key that
is already queued merges into it, and one that is running sets `rerun`, so the job runs once more
after the current run instead of twice at the same time. Webhook delivery relies on this to keep one
sender per subscription, which is what preserves delivery order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base
from nexo.core.db.types import UTCDateTime, utcnow

# 64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

QUEUED, RUNNING, DONE, FAILED, DEAD = "queued", "running", "done", "failed", "dead"
ACTIVE_STATUSES = (QUEUED, RUNNING, FAILED)
_ACTIVE_SQL = "status IN ('queued', 'running', 'failed')"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_due_at", "status", "due_at"),
        Index(
            "uq_jobs_active_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed or interrupted runs
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    rerun: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobSchedule(Base):
    """One row per periodic job. A worker that moves `next_run_at` forward with a compare-and-set
    UPDATE is the one that enqueues the run, so N workers still run each period once."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
