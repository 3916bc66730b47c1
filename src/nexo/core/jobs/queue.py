"""Enqueueing, claiming and finishing jobs: the SQL of the job system, for both databases.

Claiming is one statement: `UPDATE jobs SET status='running', lease… WHERE id IN (SELECT id … FOR
UPDATE SKIP LOCKED) RETURNING …`. On PostgreSQL, SKIP LOCKED lets any number of workers on any number
of machines claim concurrently, each row going to exactly one of them. SQLite ignores FOR UPDATE; there
the writer connection's `BEGIN IMMEDIATE` makes every claim a serialised single claimer, which is just
as safe (and several processes on one file queue on SQLite's lock).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, case, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.db.types import UTCDateTime
from nexo.core.jobs import clock
from nexo.core.jobs.models import _ACTIVE_SQL, DEAD, DONE, FAILED, QUEUED, RUNNING, Job
from nexo.core.jobs.registry import DEFAULT_MAX_ATTEMPTS, Reschedule, handler_for
from nexo.core.jobs.wakeup import request_wakeup

MAX_ERROR_CHARS = 2000
FAILURE_BACKOFF_CAP = timedelta(hours=1)
_rng = random.Random()  # backoff jitter, not a secret


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (the ORM types `execute` as a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _at(value: datetime) -> Any:
    return literal(value, UTCDateTime())


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Add a job to the caller's transaction: it exists, and workers wake, only if that commits.

    With `dedupe_key`, a job with the same key that is still queued or failed is reused (its due
    time moves earlier if this one is due sooner) and one that is running is asked to run once more
    when it finishes; so there is never more than one active job per key.
    """
    now = clock.now()
    spec = handler_for(kind)
    values = {
        "kind": kind,
        "payload": payload or {},
        "status": QUEUED,
        "due_at": due_at or now,
        "attempts": 0,
        "max_attempts": spec.max_attempts if spec else DEFAULT_MAX_ATTEMPTS,
        "dedupe_key": dedupe_key,
        "rerun": False,
        "created_at": now,
        "updated_at": now,
    }
    if dedupe_key is None:
        await session.execute(insert(Job).values(**values))
    else:
        await session.execute(_upsert(_dialect(session), values, now))
    request_wakeup(session)


def _upsert(dialect: str, values: dict[str, Any], now: datetime) -> Any:
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(Job).values(**values)
    running = Job.status == RUNNING
    new_due = statement.excluded.due_at
    return statement.on_conflict_do_update(
        index_elements=[Job.dedupe_key],
        index_where=text(_ACTIVE_SQL),
        set_={
            "due_at": case((running, Job.due_at), (new_due < Job.due_at, new_due), else_=Job.due_at),
            "rerun": case((running, True), else_=Job.rerun),
            "updated_at": _at(now),
        },
    )


def _claimable(now: datetime, kinds: Collection[str]) -> Any:
    waiting = and_(Job.status.in_((QUEUED, FAILED)), Job.due_at <= now)
    abandoned = and_(Job.status == RUNNING, Job.lease_expires_at < now)
    return and_(Job.kind.in_(kinds), or_(waiting, abandoned))


async def claim(
    session: AsyncSession, *, owner: str, kinds: Collection[str], limit: int, lease: timedelta
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs of `kinds` (and jobs whose holder's lease ran out) for `owner`."""
    if limit < 1 or not kinds:
        return []
    now = clock.now()
    candidates = (
        select(Job.id)
        .where(_claimable(now, kinds))
        .order_by(Job.due_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Job)
        .where(Job.id.in_(candidates.scalar_subquery()))
        .values(
            status=RUNNING,
            lease_owner=owner,
            lease_expires_at=now + lease,
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    claimed = [
        ClaimedJob(row.id, row.kind, row.payload or {}, row.attempts, row.max_attempts) for row in rows
    ]
    return sorted(claimed, key=lambda job: job.id)


def _owned(job_id: int, owner: str) -> Any:
    return and_(Job.id == job_id, Job.lease_owner == owner, Job.status == RUNNING)


async def finish(session: AsyncSession, job: ClaimedJob, *, owner: str, result: Reschedule | None) -> bool:
    """Record a successful run. False if the lease was lost meanwhile (another worker has the job).

    A run requested while this one was in progress (`rerun`) turns "done" into "queued now".
    """
    now = clock.now()
    again = Job.rerun.is_(True)
    if result is None:
        values: dict[str, Any] = {
            "status": case((again, QUEUED), else_=DONE),
            "due_at": case((again, _at(now)), else_=Job.due_at),
            "finished_at": case((again, None), else_=_at(now)),
        }
    else:
        values = {"status": QUEUED, "due_at": case((again, _at(now)), else_=_at(result.at))}
    values.update(
        rerun=False, attempts=0, lease_owner=None, lease_expires_at=None, last_error=None, updated_at=now
    )
    statement = update(Job).where(_owned(job.id, owner)).values(**values).returning(Job.status, Job.due_at)
    row = (await session.execute(statement.execution_options(synchronize_session=False))).first()
    if row is not None and row.status == QUEUED and row.due_at <= now:
        request_wakeup(session)  # more work arrived during the run: let idle workers take it
    return row is not None


def failure_backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour, ±20 % so that failures do not retry in lockstep."""
    base = min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), FAILURE_BACKOFF_CAP)
    return base * _rng.uniform(0.8, 1.2)


async def fail(session: AsyncSession, job: ClaimedJob, *, owner: str, error: str, max_attempts: int) -> str:
    """Record a failed run: retried after a backoff, or dead once `max_attempts` runs have failed."""
    now = clock.now()
    status = DEAD if job.attempts >= max_attempts else FAILED
    await session.execute(
        update(Job)
        .where(_owned(job.id, owner))
        .values(
            status=status,
            due_at=now + failure_backoff(job.attempts) if status == FAILED else Job.due_at,
            last_error=error[:MAX_ERROR_CHARS],
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now if status == DEAD else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return status


async def bury_exhausted(session: AsyncSession, jobs: Sequence[ClaimedJob], *, owner: str) -> list[int]:
    """Jobs taken back from dead workers more often than allowed go dead instead of running again
    (a job that crashes its worker every time must not crash every worker in turn)."""
    exhausted = [job.id for job in jobs if job.attempts > job.max_attempts]
    if exhausted:
        now = clock.now()
        await session.execute(
            update(Job)
            .where(Job.id.in_(exhausted), Job.lease_owner == owner)
            .values(
                status=DEAD,
                last_error="gave up: the job's worker stopped without finishing it too many times",
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return exhausted


async def release(session: AsyncSession, job_ids: Collection[int], *, owner: str) -> int:
    """Give claimed jobs back without counting the interrupted run (graceful shutdown)."""
    if not job_ids:
        return 0
    now = clock.now()
    outcome = await session.execute(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.lease_owner == owner, Job.status == RUNNING)
        .values(
            status=QUEUED,
            due_at=now,
            attempts=case((Job.attempts > 0, Job.attempts - 1), else_=0),
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    request_wakeup(session)
    return affected(outcome)


async def renew(session: AsyncSession, job_ids: Collection[int], *, owner: str, lease: timedelta) -> int:
    """Extend the lease of jobs this worker is still running; returns how many it still holds."""
    if not job_ids:
        return 0
    now = clock.now()
    outcome = await session.execute(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.lease_owner == owner, Job.status == RUNNING)
        .values(lease_expires_at=now + lease, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(outcome)


async def next_due(session: AsyncSession, kinds: Collection[str]) -> datetime | None:
    """When the next job of `kinds` becomes claimable (a due time or a lease expiry), if any."""
    if not kinds:
        return None
    waiting = select(func.min(Job.due_at)).where(Job.kind.in_(kinds), Job.status.in_((QUEUED, FAILED)))
    abandoned = select(func.min(Job.lease_expires_at)).where(Job.kind.in_(kinds), Job.status == RUNNING)
    times = [await session.scalar(waiting), await session.scalar(abandoned)]
    present = [value for value in times if value is not None]
    return min(present) if present else None


async def status_counts(session: AsyncSession, kind: str | None = None) -> dict[str, int]:
    """Jobs per status (for the CLI, tests and benchmarks)."""
    statement = select(Job.status, func.count()).group_by(Job.status)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    return dict((await session.execute(statement)).tuples())
