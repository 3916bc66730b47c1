"""The worker loop: dispatch the outbox, start periodic jobs, claim due jobs, run them.

One loop per process (`nexo worker`, or inside each `nexo serve` process), running up to
`concurrency` jobs at a time as asyncio tasks. Any number of processes may run against the same
database: claims are exclusive (see `queue`), so adding processes adds throughput, not duplicates.

Idle, the loop sleeps until woken: by PostgreSQL NOTIFY (work committed anywhere), by a commit in
this process, by a slot freeing up, by the next due time, or at the latest after the poll interval
(short without LISTEN/NOTIFY, a long safety net with it).

Leases: a claimed job is held for `lease` and renewed every third of it while it runs. If the
process dies (kill -9, power loss), renewals stop and another worker takes the job once the lease
has run out. A graceful stop (SIGTERM, `stop()`) stops claiming, lets running jobs finish for a
grace period, then cancels the rest and hands them back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from nexo.core.db.session import Database
from nexo.core.events import DISPATCH_BATCH, dispatch_pending, has_undispatched
from nexo.core.jobs import clock, queue, registry, schedules
from nexo.core.jobs.listener import PgListener
from nexo.core.jobs.queue import ClaimedJob
from nexo.core.jobs.wakeup import add_local_waiter, remove_local_waiter
from nexo.core.settings import Settings

log = logging.getLogger(__name__)

LISTENING_POLL_SECONDS = 15.0  # safety net when NOTIFY wakes us anyway
SCHEDULE_CHECK_SECONDS = 5.0
ERROR_PAUSE_SECONDS = 1.0
MIN_SLEEP_SECONDS = 0.01  # a job due "now" that another worker holds must not make us spin


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        database: Database,
        *,
        concurrency: int = 16,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 0.5,
        grace_seconds: float = 10.0,
        kinds: Collection[str] | None = None,
        name: str | None = None,
        listen: bool = True,
    ) -> None:
        self.database = database
        self.id = name or worker_name()
        self.concurrency = concurrency
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self._kinds = frozenset(kinds) if kinds is not None else None
        self._listen = listen and not database.is_sqlite
        self._running: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._next_schedule_check = 0.0
        self.completed = 0  # jobs finished by this worker (for benchmarks and tests)

    @classmethod
    def from_settings(cls, database: Database, settings: Settings, **overrides: object) -> Worker:
        options: dict[str, object] = {
            "concurrency": settings.worker_concurrency,
            "lease": timedelta(seconds=settings.job_lease_seconds),
            "poll_seconds": settings.worker_poll_seconds,
        }
        options.update(overrides)
        return cls(database, **options)  # type: ignore[arg-type]

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds this worker claims: those it has handlers for."""
        known = registry.known_kinds()
        return known if self._kinds is None else known & self._kinds

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # The loop ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until `stop()`; then shut down gracefully (see the module docstring)."""
        loop = asyncio.get_running_loop()
        add_local_waiter(loop, self._wake)
        listener = PgListener(self.database.url, self.wake) if self._listen else None
        if listener is not None:
            await listener.connect()
        renewer = asyncio.create_task(self._renew_leases(), name=f"lease-renewal {self.id}")
        log.info("worker %s started (concurrency %d)", self.id, self.concurrency)
        try:
            while not self._stop.is_set() and not await self._guarded(self._prepare):
                await self._pause(ERROR_PAUSE_SECONDS)
            while not self._stop.is_set():
                busy = await self._guarded_tick()
                if not busy:
                    await self._idle(listener)
        finally:
            remove_local_waiter(loop, self._wake)
            renewer.cancel()
            await self._shutdown()
            if listener is not None:
                await listener.close()
            log.info("worker %s stopped", self.id)

    async def _prepare(self) -> None:
        async with self.database.transaction() as session:
            await schedules.ensure_schedules(session, registry.periodics())

    async def _guarded(self, step: Callable[[], Awaitable[None]]) -> bool:
        """Run a setup step; False (logged) if the database could not be reached."""
        try:
            await step()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("worker %s cannot start yet: %s", self.id, exc)
            return False
        return True

    async def _guarded_tick(self) -> bool:
        try:
            return await self.tick()
        except (SQLAlchemyError, OSError) as exc:  # database restarting, network blip: wait, retry
            log.warning("worker %s: %s; retrying", self.id, exc)
            await self._pause(ERROR_PAUSE_SECONDS)
            return False

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once for `stop()`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def tick(self) -> bool:
        """One round of work; True when more is probably waiting (so the loop should not sleep)."""
        dispatched = await dispatch_pending(self.database)
        await self._maybe_run_schedules()
        free = self.concurrency - len(self._running)
        claimed = await self._claim(free) if free > 0 else []
        for job in claimed:
            self._running[job.id] = asyncio.create_task(self._execute(job), name=f"job {job.id} {job.kind}")
        return dispatched >= DISPATCH_BATCH or (free > 0 and len(claimed) == free)

    async def _maybe_run_schedules(self) -> None:
        if time.monotonic() < self._next_schedule_check:
            return
        self._next_schedule_check = time.monotonic() + SCHEDULE_CHECK_SECONDS
        await self.run_schedules()

    async def run_schedules(self) -> list[str]:
        """Enqueue the periodic jobs that are due (normally called by the loop every few seconds)."""
        async with self.database.transaction() as session:
            return await schedules.enqueue_due(session, registry.periodics())

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        kinds = self.kinds
        async with self.database.transaction() as session:
            claimed = await queue.claim(session, owner=self.id, kinds=kinds, limit=limit, lease=self.lease)
            buried = set(await queue.bury_exhausted(session, claimed, owner=self.id))
        for job_id in buried:
            log.error("job %s went dead: its workers kept stopping without finishing it", job_id)
        return [job for job in claimed if job.id not in buried]

    async def _idle(self, listener: PgListener | None) -> None:
        if listener is not None and not listener.alive:
            await listener.connect()
        timeout = LISTENING_POLL_SECONDS if listener is not None and listener.alive else self.poll_seconds
        if len(self._running) < self.concurrency:  # when full, only a finishing job is worth waking for
            with contextlib.suppress(SQLAlchemyError, OSError):
                async with self.database.session(write=False) as session:
                    due = await queue.next_due(session, self.kinds)
                if due is not None:
                    timeout = min(timeout, max((due - clock.now()).total_seconds(), MIN_SLEEP_SECONDS))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    # Running one job --------------------------------------------------------------------------

    async def _execute(self, job: ClaimedJob) -> None:
        spec = registry.handler_for(job.kind)
        try:
            if spec is None:  # cannot happen: only known kinds are claimed
                raise LookupError(f"no handler for job kind {job.kind!r}")
            await self._run_handler(spec, job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a handler's bug must fail its job, never the worker
            log.exception("job %s (%s) failed", job.id, job.kind)
            await self._record_failure(job, exc, spec)
        finally:
            self._running.pop(job.id, None)
            self._wake.set()

    async def _run_handler(self, spec: registry.HandlerSpec, job: ClaimedJob) -> None:
        async with self.database.session() as session:
            try:
                result = await spec.handle(session, dict(job.payload))
                if await queue.finish(session, job, owner=self.id, result=result):
                    await session.commit()
                    self.completed += 1
                else:
                    log.warning("job %s: lease lost to another worker; its changes are discarded", job.id)
                    await session.rollback()
            except BaseException:
                await session.rollback()
                raise

    async def _record_failure(
        self, job: ClaimedJob, exc: Exception, spec: registry.HandlerSpec | None
    ) -> None:
        limit = spec.max_attempts if spec is not None else job.max_attempts
        error = f"{type(exc).__name__}: {exc}"
        try:
            async with self.database.transaction() as session:
                status = await queue.fail(session, job, owner=self.id, error=error, max_attempts=limit)
        except (SQLAlchemyError, OSError):
            log.exception("job %s: could not record its failure; the lease will return it", job.id)
            return
        if status == "dead":
            log.error("job %s (%s) is dead after %d attempts: %s", job.id, job.kind, job.attempts, error)

    # Leases and shutdown ----------------------------------------------------------------------

    async def _renew_leases(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            if not self._running:
                continue
            try:
                async with self.database.transaction() as session:
                    await queue.renew(session, list(self._running), owner=self.id, lease=self.lease)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("worker %s could not renew leases: %s", self.id, exc)

    async def _shutdown(self) -> None:
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=self.grace_seconds)
        unfinished = dict(self._running)
        for task in unfinished.values():
            task.cancel()
        await asyncio.gather(*unfinished.values(), return_exceptions=True)
        if unfinished:
            try:
                async with self.database.transaction() as session:
                    released = await queue.release(session, list(unfinished), owner=self.id)
                log.info("worker %s handed back %d unfinished jobs", self.id, released)
            except (SQLAlchemyError, OSError):
                log.exception("worker %s could not hand back its jobs; their leases will", self.id)

    # For tests and benchmarks -----------------------------------------------------------------

    async def drain(self, *, within: float = 30.0) -> None:
        """Run until nothing is due now and nothing is running (without the loop's sleeping)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            busy = await self.tick()
            if self._running:
                await asyncio.wait(list(self._running.values()), return_when=asyncio.FIRST_COMPLETED)
            elif not busy and not await self._has_due_work():
                return
        raise TimeoutError(f"worker {self.id} still busy after {within} s")

    async def _has_due_work(self) -> bool:
        async with self.database.session(write=False) as session:
            due = await queue.next_due(session, self.kinds)
        return (due is not None and due <= clock.now()) or await has_undispatched(self.database)
