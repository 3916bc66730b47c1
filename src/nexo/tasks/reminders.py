"""Task reminders: a durable job that notifies the assignee when a task's reminder date comes.

Scheduling is a row in the jobs table, written in the same transaction as the task change, so a
reminder can no more be lost than the change itself. There is one active job per task (dedupe key):
moving the reminder earlier pulls the job earlier; moving it later leaves the job where it is, and the
handler, which re-reads the task every time, puts itself off until the new date. The notification is
the `task.reminder` event (delivered to webhook subscribers) plus an audit record; `reminded_at`
remembers that the current reminder date has been served, and is cleared when the date changes.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.jobs import clock
from nexo.core.jobs.queue import enqueue
from nexo.core.jobs.registry import HandlerResult, Reschedule, register_handler
from nexo.core.tenancy import scope_to_tenant
from nexo.tasks import events
from nexo.tasks.models import Task
from nexo.tasks.transitions import FINISHED

REMINDER_JOB: Final = "tasks.reminder"


def _pending_reminder(task: Task) -> bool:
    return task.reminder_date is not None and task.reminded_at is None and task.status not in FINISHED


async def schedule(session: AsyncSession, task: Task) -> None:
    """Make sure a job will look at `task` when its reminder is due (no-op when none is pending)."""
    if not _pending_reminder(task):
        return
    await enqueue(
        session,
        REMINDER_JOB,
        {"tenant_id": task.tenant_id, "task_id": task.id},
        due_at=task.reminder_date,
        dedupe_key=f"{REMINDER_JOB}:{task.id}",
    )


async def handle_reminder(session: AsyncSession, payload: dict[str, Any]) -> HandlerResult:
    """Job handler: notify if the task's reminder is due and not yet served; wait if it moved later."""
    scope_to_tenant(session, int(payload["tenant_id"]))
    # Locked, so a change committing meanwhile (completion, a new date) is seen before deciding.
    task = await session.scalar(select(Task).where(Task.id == int(payload["task_id"])).with_for_update())
    if task is None or not _pending_reminder(task):
        return None
    assert task.reminder_date is not None
    if task.reminder_date > clock.now():
        return Reschedule(at=task.reminder_date)
    await _notify(session, task)
    return None


async def _notify(session: AsyncSession, task: Task) -> None:
    now = clock.now()
    # A statement rather than an attribute change: serving a reminder is not a change of the task
    # (no new version, `updated_at` kept), so pollers do not see the task again for it.
    await session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(reminded_at=now, updated_at=Task.updated_at)
        .execution_options(synchronize_session=False)
    )
    assert task.reminder_date is not None
    reminder = task.reminder_date.isoformat().replace("+00:00", "Z")
    events.announce(session, events.TASK_REMINDER, task, reminder_date=reminder)
    record_audit(
        session,
        actor_type="system",
        actor_id=REMINDER_JOB,
        action="task.reminder_sent",
        entity_type="task",
        entity_id=task.id,
        changes={"reminded_at": {"from": None, "to": now.isoformat()}},
    )


register_handler(REMINDER_JOB, handle_reminder)
