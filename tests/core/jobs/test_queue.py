"""Enqueue, claim, finish, fail, release: the job table's state machine, on the database under test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.core.jobs.support import Recorder, jobs

from nexo.core.db.session import Database
from nexo.core.jobs import ManualClock, Reschedule, enqueue, use_clock
from nexo.core.jobs import queue as q
from nexo.core.jobs.models import DEAD, DONE, FAILED, QUEUED, RUNNING

KIND = "test.queue"
LEASE = timedelta(seconds=30)
Recorder(KIND)  # makes the kind known, with max_attempts=3


async def _claim(database: Database, owner: str = "w1", limit: int = 10) -> list[q.ClaimedJob]:
    async with database.transaction() as session:
        return await q.claim(session, owner=owner, kinds={KIND}, limit=limit, lease=LEASE)


async def _enqueue(database: Database, payload: dict[str, object] | None = None, **options: object) -> None:
    async with database.transaction() as session:
        await enqueue(session, KIND, payload or {}, **options)  # type: ignore[arg-type]


async def test_a_job_is_claimed_once(database: Database) -> None:
    await _enqueue(database, {"n": 1})
    [job] = await _claim(database)
    assert (job.kind, job.payload, job.attempts) == (KIND, {"n": 1}, 1)
    assert await _claim(database, owner="w2") == []
    [row] = await jobs(database)
    assert (row.status, row.lease_owner) == (RUNNING, "w1")


async def test_a_rolled_back_enqueue_leaves_no_job(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await enqueue(session, KIND, {})
            raise RuntimeError("the change failed")
    assert await jobs(database) == []


async def test_jobs_wait_for_their_due_time(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database, due_at=clock.now() + timedelta(minutes=5))
        assert await _claim(database) == []
        clock.advance(timedelta(minutes=5))
        assert len(await _claim(database)) == 1


async def test_only_kinds_the_worker_knows_are_claimed(database: Database) -> None:
    async with database.transaction() as session:
        await enqueue(session, "test.unknown-kind", {})
    async with database.transaction() as session:
        assert await q.claim(session, owner="w", kinds={KIND}, limit=5, lease=LEASE) == []


async def test_a_dedupe_key_keeps_one_active_job(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database, dedupe_key="k", due_at=clock.now() + timedelta(minutes=10))
        await _enqueue(database, dedupe_key="k", due_at=clock.now() + timedelta(minutes=1))
        await _enqueue(database, dedupe_key="other")
        rows = await jobs(database)
        assert len(rows) == 2
        assert rows[0].due_at == clock.now() + timedelta(minutes=1)  # the earlier due time wins


async def test_enqueueing_a_running_key_reruns_it_after_it_finishes(database: Database) -> None:
    await _enqueue(database, dedupe_key="k")
    [job] = await _claim(database)
    await _enqueue(database, dedupe_key="k")  # new work arrives while the job runs
    assert len(await jobs(database)) == 1
    async with database.transaction() as session:
        assert await q.finish(session, job, owner="w1", result=None)
    [row] = await jobs(database)
    assert (row.status, row.rerun, row.attempts) == (QUEUED, False, 0)
    [again] = await _claim(database)
    async with database.transaction() as session:
        assert await q.finish(session, again, owner="w1", result=None)
    [row] = await jobs(database)
    assert row.status == DONE and row.finished_at is not None
    await _enqueue(database, dedupe_key="k")  # a finished key does not block new work
    assert [r.status for r in await jobs(database)] == [DONE, QUEUED]


async def test_reschedule_requeues_for_later(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database)
        [job] = await _claim(database)
        later = clock.now() + timedelta(minutes=30)
        async with database.transaction() as session:
            await q.finish(session, job, owner="w1", result=Reschedule(later))
        [row] = await jobs(database)
        assert (row.status, row.due_at, row.lease_owner) == (QUEUED, later, None)
        assert await _claim(database) == []


async def test_failures_back_off_then_go_dead(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database)
        statuses = []
        for _ in range(3):
            [job] = await _claim(database)
            async with database.transaction() as session:
                statuses.append(
                    await q.fail(session, job, owner="w1", error="ValueError: bad", max_attempts=3)
                )
            assert await _claim(database) == []  # backing off, or dead
            clock.advance(timedelta(hours=2))
        assert statuses == [FAILED, FAILED, DEAD]
        [row] = await jobs(database)
        assert (row.status, row.last_error, row.attempts) == (DEAD, "ValueError: bad", 3)


def test_failure_backoff_grows_and_is_capped() -> None:
    assert timedelta(seconds=8) <= q.failure_backoff(1) <= timedelta(seconds=12)
    assert timedelta(seconds=16) <= q.failure_backoff(2) <= timedelta(seconds=24)
    assert q.failure_backoff(30) <= timedelta(hours=1.2)


async def test_an_expired_lease_lets_another_worker_take_the_job(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database)
        [first] = await _claim(database, owner="crashed")
        clock.advance(LEASE + timedelta(seconds=1))
        [second] = await _claim(database, owner="rescuer")
        assert (second.id, second.attempts) == (first.id, 2)
        async with database.transaction() as session:
            assert not await q.finish(session, first, owner="crashed", result=None)  # too late
        async with database.transaction() as session:
            assert await q.finish(session, second, owner="rescuer", result=None)


async def test_renewed_leases_are_not_taken(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database)
        [job] = await _claim(database)
        clock.advance(LEASE * 0.9)
        async with database.transaction() as session:
            assert await q.renew(session, [job.id], owner="w1", lease=LEASE) == 1
        clock.advance(LEASE * 0.9)
        assert await _claim(database, owner="w2") == []


async def test_a_job_that_keeps_killing_workers_goes_dead(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        await _enqueue(database)
        for _ in range(3):
            [job] = await _claim(database)
            clock.advance(LEASE * 2)
        [job] = await _claim(database)
        assert job.attempts == 4 > job.max_attempts
        async with database.transaction() as session:
            assert await q.bury_exhausted(session, [job], owner="w1") == [job.id]
        [row] = await jobs(database)
        assert row.status == DEAD and "too many times" in (row.last_error or "")


async def test_release_hands_jobs_back_without_counting_the_run(database: Database) -> None:
    await _enqueue(database)
    [job] = await _claim(database)
    async with database.transaction() as session:
        assert await q.release(session, [job.id], owner="w1") == 1
    [row] = await jobs(database)
    assert (row.status, row.attempts, row.lease_owner) == (QUEUED, 0, None)
    assert len(await _claim(database, owner="w2")) == 1


async def test_next_due_reports_waiting_jobs_and_leases(database: Database) -> None:
    clock = ManualClock()
    with use_clock(clock):
        async with database.session(write=False) as session:
            assert await q.next_due(session, {KIND}) is None
        await _enqueue(database, due_at=clock.now() + timedelta(hours=1))
        await _enqueue(database)
        await _claim(database, limit=1)
        async with database.session(write=False) as session:
            assert await q.next_due(session, {KIND}) == clock.now() + LEASE
