"""The tasks domain: reading, creating and changing tasks, shared by the tasks and crm surfaces.

Every change here does four things in the caller's transaction (which the request commits):
takes the tenant's next change number (`feed.next_version`), changes the row, records an audit
entry with the changes from → to, and announces one event through the outbox. Surfaces translate
their wire names into the field names used here (`assigned_to_user_id`, `due_date`…).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from nexo.core.pagination import Page, PageParams, paginate
from nexo.identity.models import User
from nexo.tasks import events, reminders
from nexo.tasks.feed import next_version
from nexo.tasks.models import TEXT_MAX, TITLE_MAX, Task, TaskComment
from nexo.tasks.transitions import (
    CANCELLED,
    COMPLETED,
    PRIORITIES,
    STATUSES,
    Status,
    check_move,
    reopen_target,
)

CREATE_FIELDS: Final = frozenset(
    {
        "title",
        "description",
        "priority",
        "assigned_to_user_id",
        "client_id",
        "chat_id",
        "due_date",
        "reminder_date",
        "notes",
    }
)
UPDATE_FIELDS: Final = CREATE_FIELDS | {"status"}
NOT_NULL: Final = ("status", "priority")
AUDITED_FIELDS: Final = (*sorted(UPDATE_FIELDS), "completion_notes")


@dataclass(frozen=True, slots=True)
class TaskFilters:
    status: Status | None = None
    priority: str | None = None
    assigned_to_user_id: int | None = None
    due_date_from: datetime | None = None
    due_date_to: datetime | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangePage:
    """One page of the change feed: tasks in commit order, and the number to resume after."""

    items: list[Task]
    total: int  # changes after the cursor, this page included
    limit: int
    last_version: int


def _filtered(filters: TaskFilters) -> Select[tuple[Task]]:
    statement = select(Task)
    if filters.status is not None:
        statement = statement.where(Task.status == filters.status)
    if filters.priority is not None:
        statement = statement.where(Task.priority == filters.priority)
    if filters.assigned_to_user_id is not None:
        statement = statement.where(Task.assigned_to_user_id == filters.assigned_to_user_id)
    if filters.due_date_from is not None:
        statement = statement.where(Task.due_date >= filters.due_date_from)
    if filters.due_date_to is not None:
        statement = statement.where(Task.due_date <= filters.due_date_to)
    if filters.updated_since is not None:
        statement = statement.where(Task.updated_at >= filters.updated_since)
    return statement


async def list_tasks(session: AsyncSession, *, filters: TaskFilters, page: PageParams) -> Page[Task]:
    """Tasks by id, oldest first: a task created while a client pages lands on the last page
    instead of shifting every page under it."""
    return await paginate(session, _filtered(filters).order_by(Task.id), page)


async def list_changes(
    session: AsyncSession, *, filters: TaskFilters, after_version: int, limit: int
) -> ChangePage:
    """Tasks changed after change number `after_version`, in commit order (see `nexo.tasks.feed`).
    A task changed twice since then appears once, in its latest state, at its latest position."""
    statement = _filtered(filters).where(Task.version > after_version)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = list(await session.scalars(statement.order_by(Task.version).limit(limit)))
    last = rows[-1].version if rows else after_version
    return ChangePage(items=rows, total=int(total or 0), limit=limit, last_version=last)


async def get_task(session: AsyncSession, *, task_id: int) -> Task:
    """The task of the session's tenant with this id; `NotFound` for another tenant's id too."""
    task = await session.scalar(select(Task).where(Task.id == task_id))
    if task is None:
        raise NotFound("There is no task with this id.", code="TASK_NOT_FOUND")
    return task


async def list_comments(session: AsyncSession, *, task_id: int) -> list[TaskComment]:
    statement = select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
    return list(await session.scalars(statement))


async def create_task(session: AsyncSession, *, actor: Principal, values: Mapping[str, Any]) -> Task:
    """A new pending task in the session's tenant. `values` holds `CREATE_FIELDS`; `title` is required."""
    fields = await _checked(session, values, allowed=CREATE_FIELDS)
    if "title" not in fields:
        raise ValidationFailed("A task needs a title.", details=[ErrorDetail("title", "required")])
    version = await next_version(session)
    now = utcnow()
    fields.setdefault("priority", "medium")
    task = Task(**fields, created_by_user_id=_user_id(actor), version=version, created_at=now, updated_at=now)
    session.add(task)
    await session.flush()
    _audit(session, actor, "task.created", task, diff_changes({}, _snapshot(task)))
    events.announce(session, events.TASK_CREATED, task)
    await reminders.schedule(session, task)
    return task


async def update_task(
    session: AsyncSession, *, actor: Principal, task_id: int, changes: Mapping[str, Any]
) -> Task:
    """Apply `changes` (`UPDATE_FIELDS`); a status change must follow the transition table. Values
    equal to the current ones change nothing: no new version, no event."""
    fields = await _checked(session, changes, allowed=UPDATE_FIELDS)
    task, version = await _for_change(session, task_id)
    status = fields.pop("status", task.status)
    moves = check_move(task.status, status)
    difference = {name: value for name, value in fields.items() if getattr(task, name) != value}
    if not moves and not difference:
        return task
    before = _snapshot(task)
    previous_status = task.status
    _touch(task, version)
    for name, value in difference.items():
        setattr(task, name, value)
    if "reminder_date" in difference:
        task.reminded_at = None
    if moves:
        _enter_status(task, status)
    return await _finish_change(session, actor, task, before, previous_status)


async def complete_task(
    session: AsyncSession, *, actor: Principal, task_id: int, completion_notes: str | None
) -> Task:
    """Mark the task completed with optional notes (crm §8.4)."""
    notes = _text("completion_notes", completion_notes)
    task, version = await _for_change(session, task_id)
    if not check_move(task.status, COMPLETED):
        raise Conflict("The task is already completed.", code="INVALID_STATUS_TRANSITION")
    before = _snapshot(task)
    previous_status = task.status
    _touch(task, version)
    _enter_status(task, COMPLETED)
    task.completion_notes = notes
    return await _finish_change(session, actor, task, before, previous_status)


async def reopen_task(session: AsyncSession, *, actor: Principal, task_id: int) -> Task:
    """Move a completed or cancelled task back to pending: the only way out of a finished state."""
    task, version = await _for_change(session, task_id)
    target = reopen_target(task.status)
    before = _snapshot(task)
    previous_status = task.status
    _touch(task, version)
    task.status = target
    task.completed_at = task.cancelled_at = None
    task.completion_notes = None
    return await _finish_change(session, actor, task, before, previous_status, action="task.reopened")


async def add_comment(session: AsyncSession, *, actor: Principal, task_id: int, content: str) -> TaskComment:
    task = await get_task(session, task_id=task_id)
    text = _text("content", content)
    if not text:
        raise ValidationFailed("A comment cannot be empty.", details=[ErrorDetail("content", "required")])
    kind, actor_id = actor.audit_actor()
    comment = TaskComment(
        task_id=task.id, user_id=_user_id(actor), author_type=kind, author_id=actor_id, content=text
    )
    session.add(comment)
    await session.flush()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="task.comment_added",
        entity_type="task",
        entity_id=task.id,
        changes={"comment": {"from": None, "to": comment.id}},
    )
    return comment


async def _for_change(session: AsyncSession, task_id: int) -> tuple[Task, int]:
    """The task, read only after taking the tenant's next change number. The number's lock makes
    every other writer of the tenant's tasks wait until this transaction ends, so the status checked
    against the transition table is the one this change replaces: two concurrent moves cannot both
    pass the check on the same old status (a lost update). Lock order is always counter → task row."""
    version = await next_version(session)
    statement = select(Task).where(Task.id == task_id).execution_options(populate_existing=True)
    task = await session.scalar(statement)
    if task is None:
        raise NotFound("There is no task with this id.", code="TASK_NOT_FOUND")
    return task, version


def _touch(task: Task, version: int) -> None:
    """Stamp the change number; `updated_at` is read after taking it, so on one server it grows in
    the same order as the numbers."""
    task.version = version
    task.updated_at = utcnow()


def _enter_status(task: Task, status: Status) -> None:
    task.status = status
    now = utcnow()
    task.completed_at = now if status == COMPLETED else None
    task.cancelled_at = now if status == CANCELLED else None
    if status != COMPLETED:
        task.completion_notes = None


async def _finish_change(
    session: AsyncSession,
    actor: Principal,
    task: Task,
    before: dict[str, Any],
    previous_status: Status,
    *,
    action: str = "task.updated",
) -> Task:
    await session.flush()
    _audit(session, actor, action, task, diff_changes(before, _snapshot(task)))
    events.announce(session, events.change_event(previous_status, task), task)
    await reminders.schedule(session, task)
    return task


def _audit(session: AsyncSession, actor: Principal, action: str, task: Task, changes: Any) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="task",
        entity_id=task.id,
        changes=changes,
    )


def _snapshot(task: Task) -> dict[str, Any]:
    return {name: getattr(task, name) for name in AUDITED_FIELDS}


def _user_id(actor: Principal) -> int | None:
    return int(actor.id) if actor.kind == "user" and actor.id.isdigit() else None


async def _checked(
    session: AsyncSession, values: Mapping[str, Any], *, allowed: frozenset[str]
) -> dict[str, Any]:
    """`values` validated and normalised; unknown names are a programming error of the surface."""
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not task fields: {sorted(unknown)}")
    fields = dict(values)
    problems: list[ErrorDetail] = []
    if "title" in fields:
        fields["title"] = _title(fields["title"], problems)
    for name in ("description", "notes"):
        if name in fields:
            fields[name] = _text(name, fields[name])
    _choice(fields, "status", STATUSES, problems)
    _choice(fields, "priority", PRIORITIES, problems)
    problems.extend(ErrorDetail(name, "cannot be null") for name in NOT_NULL if fields.get(name, "") is None)
    for name in ("due_date", "reminder_date"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            problems.append(ErrorDetail(name, "must be an ISO 8601 date-time with a time zone"))
    if fields.get("assigned_to_user_id") is not None:
        await _check_assignee(session, fields["assigned_to_user_id"], problems)
    if problems:
        raise ValidationFailed(f"{problems[0].field}: {problems[0].message}", details=problems)
    return fields


def _title(value: Any, problems: list[ErrorDetail]) -> str:
    title = value.strip() if isinstance(value, str) else ""
    if not title or len(title) > TITLE_MAX:
        problems.append(ErrorDetail("title", f"1 to {TITLE_MAX} characters"))
    return title


def _text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > TEXT_MAX:
        raise ValidationFailed(
            f"{name} is too long.", details=[ErrorDetail(name, f"at most {TEXT_MAX} characters")]
        )
    return text or None


def _choice(fields: dict[str, Any], name: str, allowed: tuple[str, ...], problems: list[ErrorDetail]) -> None:
    value = fields.get(name)
    if value is not None and value not in allowed:
        problems.append(ErrorDetail(name, f"one of {', '.join(allowed)}"))


async def _check_assignee(session: AsyncSession, user_id: int, problems: list[ErrorDetail]) -> None:
    """The assignee must be a current user of the session's tenant (the scoping hides the others)."""
    found = await session.scalar(select(User.id).where(User.id == user_id, User.deleted_at.is_(None)))
    if found is None:
        problems.append(ErrorDetail("assigned_to_user_id", "no such user in this organization"))


async def comment_authors(session: AsyncSession, comments: list[TaskComment]) -> dict[int, User]:
    """The users who wrote `comments`, by id, in one query (deleted users included: they wrote it)."""
    ids = {comment.user_id for comment in comments if comment.user_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in await session.scalars(select(User).where(User.id.in_(ids)))}
