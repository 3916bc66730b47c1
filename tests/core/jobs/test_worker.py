"""The worker loop against a real database: commits, retries, periodic jobs, wake-ups, shutdown,
and several workers sharing one queue without running anything twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from tests.core.jobs.support import Recorder, eventually, jobs
from tests.support import TEST_DATABASE, only_postgresql

from nexo.core.db.session import Database
from nexo.core.jobs import ManualClock, enqueue, use_clock
from nexo.core.jobs.listener import asyncpg_dsn
from nexo.core.jobs.models import DEAD, DONE, FAILED, QUEUED
from nexo.core.jobs.registry import Periodic, register_handler, register_periodic
from nexo.core.jobs.schedules import next_boundary
from nexo.core.jobs.wakeup import CHANNEL
from nexo.core.jobs.worker import Worker

RECORD = Recorder("test.worker.record", max_attempts=2)
FOLLOW_UP = "test.worker.follow-up"
SLOW = "test.worker.slow"
EACH = "test.worker.each"
ALL_KINDS = {RECORD.kind, FOLLOW_UP, SLOW, EACH}
handled: Counter[int] = Counter()


async def _follow_up(session: AsyncSession, payload: dict[str, Any]) -> None:
    await enqueue(session, RECORD.kind, {"after": payload["n"]})
    if payload.get("fail"):
        raise RuntimeError("handler failed after enqueueing")


async def _slow(session: AsyncSession, payload: dict[str, Any]) -> None:
    await asyncio.sleep(float(payload["seconds"]))


async def _each(session: AsyncSession, payload: dict[str, Any]) -> None:
    handled[int(payload["n"])] += 1
    await asyncio.sleep(0.001)


register_handler(FOLLOW_UP, _follow_up, max_attempts=1)
register_handler(SLOW, _slow)
register_handler(EACH, _each)


def _worker(database: Database, **options: Any) -> Worker:
    defaults: dict[str, Any] = {"concurrency": 4, "poll_seconds": 0.05, "listen": False, "kinds": ALL_KINDS}
    return Worker(database, **{**defaults, **options})


@pytest.fixture(autouse=True)
def _reset() -> None:
    RECORD.seen.clear()
    RECORD.failures_left = 0
    handled.clear()


async def test_a_handlers_changes_commit_with_its_completion(database: Database) -> None:
    async with database.transaction() as session:
        await enqueue(session, FOLLOW_UP, {"n": 1})
        await enqueue(session, FOLLOW_UP, {"n": 2, "fail": True})
    await _worker(database).drain()
    assert RECORD.seen == [{"after": 1}]  # the failed handler's enqueue was rolled back with it
    statuses = {job.payload.get("n"): job.status for job in await jobs(database, FOLLOW_UP)}
    assert statuses == {1: DONE, 2: DEAD}


async def test_a_failing_job_is_retried_after_a_backoff(database: Database) -> None:
    clock = ManualClock()
    RECORD.failures_left = 1
    with use_clock(clock):
        async with database.transaction() as session:
            await enqueue(session, RECORD.kind, {"n": 1})
        worker = _worker(database)
        await worker.drain()
        [job] = await jobs(database, RECORD.kind)
        assert (job.status, job.last_error) == (FAILED, "RuntimeError: boom")
        clock.advance(timedelta(minutes=1))
        await worker.drain()
    [job] = await jobs(database, RECORD.kind)
    assert job.status == DONE
    assert len(RECORD.seen) == 2


async def test_a_periodic_job_runs_once_per_period_whatever_the_number_of_workers(database: Database) -> None:
    register_periodic(Periodic("test.hourly", RECORD.kind, timedelta(hours=1), {"periodic": True}))
    start = datetime(2030, 1, 1, 10, 59, tzinfo=UTC)
    clock = ManualClock(start)
    with use_clock(clock):
        first, second = _worker(database), _worker(database)
        await first._prepare()
        await second._prepare()
        assert "test.hourly" not in await first.run_schedules()  # not yet 11:00
        clock.advance(timedelta(minutes=1))
        started = [await first.run_schedules(), await second.run_schedules()]
        assert sorted("test.hourly" in names for names in started) == [False, True]
        await first.drain()
        clock.advance(timedelta(minutes=59))
        assert "test.hourly" not in await second.run_schedules()
        clock.advance(timedelta(minutes=1))
        assert "test.hourly" in await second.run_schedules()
    assert RECORD.seen == [{"periodic": True}]


def test_periods_align_to_the_clock() -> None:
    moment = datetime(2030, 1, 1, 10, 15, tzinfo=UTC)
    assert next_boundary(moment, timedelta(hours=1)) == datetime(2030, 1, 1, 11, tzinfo=UTC)
    assert next_boundary(moment, timedelta(days=1)) == datetime(2030, 1, 2, tzinfo=UTC)
    assert next_boundary(datetime(2030, 1, 1, 11, tzinfo=UTC), timedelta(hours=1)).hour == 12


async def test_a_graceful_stop_hands_unfinished_jobs_back(database: Database) -> None:
    async with database.transaction() as session:
        await enqueue(session, SLOW, {"seconds": 30})
    worker = _worker(database, grace_seconds=0.2)
    task = asyncio.create_task(worker.run())
    for _ in range(200):
        if worker._running:
            break
        await asyncio.sleep(0.01)
    assert worker._running, "the worker never started the job"
    worker.stop()
    await asyncio.wait_for(task, 10)
    [job] = await jobs(database, SLOW)
    assert (job.status, job.lease_owner, job.attempts) == (QUEUED, None, 0)


async def test_an_idle_worker_wakes_on_commit_not_on_its_poll(database: Database) -> None:
    worker = _worker(database, poll_seconds=30, listen=TEST_DATABASE == "postgresql")
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)  # let it go idle
        started = time.perf_counter()
        async with database.transaction() as session:
            await enqueue(session, RECORD.kind, {"wake": 1})
        await eventually(lambda: bool(RECORD.seen))
        assert RECORD.seen == [{"wake": 1}]
        assert time.perf_counter() - started < 3.0  # the poll would take 30 s
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)


@only_postgresql
async def test_notify_is_sent_on_commit_and_never_on_rollback(database: Database) -> None:
    received: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(database.url))
    await listener.add_listener(CHANNEL, lambda _conn, _pid, channel, _payload: received.append(channel))
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await enqueue(session, RECORD.kind, {})
                raise RuntimeError("rolled back")
        await asyncio.sleep(0.2)
        assert received == []
        async with database.transaction() as session:
            await enqueue(session, RECORD.kind, {})
            await enqueue(session, RECORD.kind, {})
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert received == [CHANNEL]  # one notification per transaction
    finally:
        await listener.close()


@only_postgresql
async def test_a_notify_from_another_process_wakes_the_worker(database: Database) -> None:
    worker = _worker(database, poll_seconds=30, listen=True)
    task = asyncio.create_task(worker.run())
    other = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        now = datetime.now(UTC)
        await other.execute(
            "INSERT INTO jobs (kind, payload, status, due_at, attempts, max_attempts, rerun, created_at,"
            " updated_at) VALUES ($1, '{\"remote\": 1}', 'queued', $2, 0, 3, false, $2, $2);"
            " ",
            RECORD.kind,
            now,
        )
        await other.execute(f"NOTIFY {CHANNEL}")
        await eventually(lambda: bool(RECORD.seen))
        assert RECORD.seen == [{"remote": 1}]
        assert time.perf_counter() - started < 3.0  # the poll would take 30 s
    finally:
        await other.close()
        worker.stop()
        await asyncio.wait_for(task, 10)


async def test_two_workers_run_each_job_exactly_once(database: Database) -> None:
    second_database = Database(database.url, pool_size=4)
    try:
        async with database.transaction() as session:
            for n in range(300):
                await enqueue(session, EACH, {"n": n})
        one = _worker(database, concurrency=8)
        two = _worker(second_database, concurrency=8)
        await asyncio.gather(one.drain(within=60), two.drain(within=60))
    finally:
        await second_database.dispose()
    assert sorted(handled) == list(range(300))
    assert set(handled.values()) == {1}
    assert one.completed + two.completed == 300
    assert one.completed > 0 and two.completed > 0
    assert {job.status for job in await jobs(database, EACH)} == {DONE}
