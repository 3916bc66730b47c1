"""The events a task change announces, through the transactional outbox.

Payloads carry the tasks spec's webhook `data`: `{id, title, status, assigned_to}` with the spec's
public ids (`task_001`, `user_123`); the webhook engine wraps it as `{event, timestamp, data}` and
signs it. Each change announces exactly one event: `task.completed` or `task.cancelled` when that is
what the change did, `task.updated` for any other change.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.events import emit
from nexo.tasks.ids import render_task_id, render_user_id
from nexo.tasks.models import Task
from nexo.tasks.transitions import CANCELLED, COMPLETED, Status

TASK_CREATED: Final = "task.created"
TASK_UPDATED: Final = "task.updated"
TASK_COMPLETED: Final = "task.completed"
TASK_CANCELLED: Final = "task.cancelled"
TASK_REMINDER: Final = "task.reminder"
TASK_EVENTS: Final = (TASK_CREATED, TASK_UPDATED, TASK_COMPLETED, TASK_CANCELLED, TASK_REMINDER)
SURFACE: Final = "tasks"


def webhook_data(task: Task) -> dict[str, Any]:
    return {
        "id": render_task_id(task.id),
        "title": task.title,
        "status": task.status,
        "assigned_to": render_user_id(task.assigned_to_user_id),
    }


def change_event(previous_status: Status, task: Task) -> str:
    """The one event name a change of `task` (which was `previous_status`) announces."""
    if task.status != previous_status and task.status == COMPLETED:
        return TASK_COMPLETED
    if task.status != previous_status and task.status == CANCELLED:
        return TASK_CANCELLED
    return TASK_UPDATED


def announce(session: AsyncSession, name: str, task: Task, **extra: Any) -> None:
    """Add the event to the session's transaction: it exists only if the change commits."""
    emit(
        session,
        name=name,
        tenant_id=task.tenant_id,
        payload={**webhook_data(task), **extra},
        surface=SURFACE,
    )
