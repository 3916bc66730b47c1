"""Periodic jobs as rows: every worker tries, one wins each period.

Each `Periodic` has a `job_schedules` row holding its next run time. A worker that finds the time has
come runs `UPDATE … SET next_run_at = <next> WHERE name = … AND next_run_at <= now`; the database
lets exactly one such UPDATE match, and only that worker enqueues the job — in the same transaction,
so a crash cannot advance the schedule without enqueueing the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.jobs import clock
from nexo.core.jobs.models import JobSchedule
from nexo.core.jobs.queue import affected, enqueue
from nexo.core.jobs.registry import Periodic

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_boundary(now: datetime, every: timedelta) -> datetime:
    """The first multiple of `every` since the epoch strictly after `now`."""
    periods = (now - _EPOCH) // every
    return _EPOCH + (periods + 1) * every


async def ensure_schedules(session: AsyncSession, periodics: Sequence[Periodic]) -> None:
    """Create missing schedule rows, and follow code that changed a job's kind or interval.

    Workers starting together may all try to create a row: the insert ignores a row that exists.
    """
    if not periodics:
        return
    now = clock.now()
    rows = [
        {
            "name": periodic.name,
            "kind": periodic.kind,
            "interval_seconds": int(periodic.every.total_seconds()),
            "next_run_at": next_boundary(now, periodic.every),
        }
        for periodic in periodics
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(JobSchedule).values(rows).on_conflict_do_nothing(index_elements=["name"]))
    for row in rows:
        changed = or_(
            JobSchedule.kind != row["kind"], JobSchedule.interval_seconds != row["interval_seconds"]
        )
        await session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == row["name"], changed)
            .values(
                kind=row["kind"], interval_seconds=row["interval_seconds"], next_run_at=row["next_run_at"]
            )
            .execution_options(synchronize_session=False)
        )


async def enqueue_due(session: AsyncSession, periodics: Sequence[Periodic]) -> list[str]:
    """Enqueue the periodic jobs whose time has come and that no other worker took; their names."""
    now = clock.now()
    started: list[str] = []
    for periodic in periodics:
        claimed = await session.execute(
            update(JobSchedule)
            .where(JobSchedule.name == periodic.name, JobSchedule.next_run_at <= now)
            .values(next_run_at=next_boundary(now, periodic.every), last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        if affected(claimed):
            await enqueue(
                session, periodic.kind, dict(periodic.payload), dedupe_key=f"periodic:{periodic.name}"
            )
            started.append(periodic.name)
    return started
