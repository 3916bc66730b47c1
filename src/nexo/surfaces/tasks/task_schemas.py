"""Wire shapes of the tasks spec's tasks: `task_001` ids, `user_123` assignees, snake_case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from nexo.core.http.schemas import StrictBody, WireModel
from nexo.tasks.ids import render_task_id, render_user_id
from nexo.tasks.models import TEXT_MAX, TITLE_MAX, Task
from nexo.tasks.transitions import Priority, Status

UserRef = Field(default=None, max_length=32, examples=["user_123"], description="A user id like user_123.")


class TaskOut(WireModel):
    id: str = Field(examples=["task_001"])
    title: str
    description: str | None
    status: Status
    priority: Priority
    assigned_to: str | None = Field(examples=["user_123"])
    due_date: datetime | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class Pagination(WireModel):
    page: int
    limit: int
    total: int
    pages: int
    next_cursor: str | None = Field(
        default=None,
        description="Change-feed mode only (updated_since or cursor given): pass it as `cursor` on the "
        "next poll to get exactly the changes committed since this response.",
    )


class TaskList(WireModel):
    data: list[TaskOut]
    pagination: Pagination


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with `Z`, as the spec writes times."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def render_task(task: Task) -> dict[str, Any]:
    """A task as `TaskOut` describes it, built directly: lists are the hot path of pollers, and a
    plain dict rendered by orjson costs a fraction of a validated model."""
    return {
        "id": render_task_id(task.id),
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "assigned_to": render_user_id(task.assigned_to_user_id),
        "due_date": iso(task.due_date),
        "notes": task.notes,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


class TaskCreate(StrictBody):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    priority: Priority = "medium"
    assigned_to: str | None = UserRef
    due_date: AwareDatetime | None = None
    reminder_date: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class TaskPatch(StrictBody):
    """The spec's body is `{status, notes}`; the other fields of a task may be changed too."""

    status: Status | None = None
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    priority: Priority | None = None
    assigned_to: str | None = UserRef
    due_date: AwareDatetime | None = None
    reminder_date: AwareDatetime | None = None
