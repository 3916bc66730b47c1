"""Reminders: a durable job per task that notifies once the reminder date comes, and follows changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.identity_support import create_tenant, create_user
from tests.tasks.support import actor_of, make_task, outbox

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.jobs.clock import ManualClock, use_clock
from nexo.core.jobs.models import Job
from nexo.core.jobs.registry import Reschedule, handler_for
from nexo.core.tenancy import allow_all_tenants
from nexo.tasks import service
from nexo.tasks.models import Task
from nexo.tasks.reminders import REMINDER_JOB, handle_reminder
from nexo.webhooks import catalog


@pytest.fixture(autouse=True)
def reminder_in_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """`task.reminder` must be in the tasks webhook catalog for `emit` to accept it; until the
    catalog lists it (asked for in the tasks report), the tests add it themselves."""
    if "task.reminder" not in catalog.TASKS:
        monkeypatch.setitem(
            catalog.TASKS,
            "task.reminder",
            catalog.EventType("task.reminder", "A task's reminder date came."),
        )


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    manual = ManualClock()
    with use_clock(manual):
        yield manual


async def _jobs(database: Database) -> list[Job]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="tests")
        return list(await session.scalars(select(Job).where(Job.kind == REMINDER_JOB)))


async def _run(database: Database, job: Job) -> Reschedule | None:
    """Run the handler as the worker does, finishing the job (status done) when it returns None."""
    async with database.transaction() as session:
        result = await handle_reminder(session, dict(job.payload))
    if result is None:
        async with database.transaction() as session:
            await session.execute(update(Job).where(Job.id == job.id).values(status="done"))
    return result


async def test_the_handler_is_registered() -> None:
    spec = handler_for(REMINDER_JOB)
    assert spec is not None
    assert spec.handle is handle_reminder


async def test_a_due_reminder_notifies_once_without_changing_the_task(
    database: Database, clock: ManualClock
) -> None:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, role="agent")
    remind_at = clock.now() + timedelta(hours=1)
    task = await make_task(database, actor_of(user), assigned_to_user_id=user.id, reminder_date=remind_at)
    [job] = await _jobs(database)
    assert job.due_at == remind_at
    assert job.payload == {"tenant_id": tenant.id, "task_id": task.id}

    assert await _run(database, job) == Reschedule(at=remind_at)  # run early: waits for its date
    clock.advance(timedelta(hours=1))
    assert await _run(database, job) is None
    assert await _run(database, job) is None  # a second run notifies nobody again

    reminders = [e for e in await outbox(database) if e.name == "task.reminder"]
    assert len(reminders) == 1
    assert reminders[0].payload["assigned_to"] == f"user_{user.id:03d}"
    async with database.transaction(tenant_id=tenant.id) as session:
        stored = await session.scalar(select(Task).where(Task.id == task.id))
        audit = await session.scalar(select(AuditRecord).where(AuditRecord.action == "task.reminder_sent"))
    assert stored is not None
    assert stored.reminded_at is not None
    assert (stored.version, stored.updated_at) == (task.version, task.updated_at)
    assert audit is not None


async def test_a_moved_reminder_is_served_again_and_a_finished_task_is_not(
    database: Database, clock: ManualClock
) -> None:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, role="agent")
    actor = actor_of(user)
    task = await make_task(database, actor, reminder_date=clock.now())
    [job] = await _jobs(database)
    await _run(database, job)

    later = clock.now() + timedelta(days=1)
    async with database.transaction(tenant_id=tenant.id) as session:
        moved = await service.update_task(
            session, actor=actor, task_id=task.id, changes={"reminder_date": later}
        )
    assert moved.reminded_at is None
    [job] = [j for j in await _jobs(database) if j.status == "queued"]
    assert job.due_at == later
    async with database.transaction(tenant_id=tenant.id) as session:
        await service.update_task(session, actor=actor, task_id=task.id, changes={"status": "cancelled"})
    clock.advance(timedelta(days=2))
    assert await _run(database, job) is None
    assert len([e for e in await outbox(database) if e.name == "task.reminder"]) == 1
