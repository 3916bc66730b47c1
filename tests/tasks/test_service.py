"""The tasks domain against a real database: changes, their versions, audit and events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.identity_support import create_tenant, create_user
from tests.tasks.support import actor_of, make_task, outbox

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.errors import Conflict, NotFound, ValidationFailed
from nexo.identity.models import User
from nexo.tasks import service
from nexo.tasks.models import Task
from nexo.tenants.models import Tenant

DUE = datetime(2030, 1, 20, 14, 0, tzinfo=UTC)


async def _setup(database: Database) -> tuple[Tenant, User]:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, role="agent")
    return tenant, user


async def test_a_new_task_is_pending_versioned_audited_and_announced(database: Database) -> None:
    _, user = await _setup(database)
    task = await make_task(database, actor_of(user), assigned_to_user_id=user.id, due_date=DUE)

    assert (task.status, task.priority, task.version) == ("pending", "medium", 1)
    assert task.created_by_user_id == user.id
    [event] = await outbox(database)
    assert event.name == "task.created"
    assert event.surface == "tasks"
    assert event.payload == {
        "id": f"task_{task.id:03d}",
        "title": "Visita a Cliente ABC",
        "status": "pending",
        "assigned_to": f"user_{user.id:03d}",
    }
    async with database.transaction(tenant_id=task.tenant_id) as session:
        audit = await session.scalar(select(AuditRecord).where(AuditRecord.action == "task.created"))
    assert audit is not None
    assert audit.entity_id == str(task.id)
    assert audit.changes["title"] == {"from": None, "to": "Visita a Cliente ABC"}


async def test_each_change_takes_the_next_version_and_a_no_op_changes_nothing(database: Database) -> None:
    _, user = await _setup(database)
    actor = actor_of(user)
    first = await make_task(database, actor)
    second = await make_task(database, actor, title="Second")
    async with database.transaction(tenant_id=first.tenant_id) as session:
        changed = await service.update_task(
            session, actor=actor, task_id=first.id, changes={"priority": "high"}
        )
        assert changed.version == 3
        same = await service.update_task(
            session, actor=actor, task_id=first.id, changes={"priority": "high", "status": "pending"}
        )
        assert same.version == 3
    assert second.version == 2
    assert [event.name for event in await outbox(database)] == [
        "task.created",
        "task.created",
        "task.updated",
    ]


@pytest.mark.parametrize(
    ("status", "event"), [("completed", "task.completed"), ("cancelled", "task.cancelled")]
)
async def test_finishing_announces_its_own_event(database: Database, status: str, event: str) -> None:
    _, user = await _setup(database)
    actor = actor_of(user)
    task = await make_task(database, actor)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        done = await service.update_task(session, actor=actor, task_id=task.id, changes={"status": status})
    assert done.status == status
    assert (done.completed_at is not None) == (status == "completed")
    assert (done.cancelled_at is not None) == (status == "cancelled")
    assert [e.name for e in await outbox(database)][-1] == event


async def test_a_completed_task_comes_back_only_through_reopen(database: Database) -> None:
    _, user = await _setup(database)
    actor = actor_of(user)
    task = await make_task(database, actor)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        await service.complete_task(session, actor=actor, task_id=task.id, completion_notes="Renovó 1 año")
    async with database.transaction(tenant_id=task.tenant_id) as session:
        with pytest.raises(Conflict, match="from completed to pending"):
            await service.update_task(session, actor=actor, task_id=task.id, changes={"status": "pending"})
        with pytest.raises(Conflict, match="already completed"):
            await service.complete_task(session, actor=actor, task_id=task.id, completion_notes=None)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        reopened = await service.reopen_task(session, actor=actor, task_id=task.id)
    assert (reopened.status, reopened.completed_at, reopened.completion_notes) == ("pending", None, None)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        with pytest.raises(Conflict, match="pending"):
            await service.reopen_task(session, actor=actor, task_id=task.id)


async def test_completion_keeps_its_notes(database: Database) -> None:
    _, user = await _setup(database)
    actor = actor_of(user)
    task = await make_task(database, actor)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        done = await service.complete_task(
            session, actor=actor, task_id=task.id, completion_notes="  Listo  "
        )
    assert (done.status, done.completion_notes) == ("completed", "Listo")


async def test_the_assignee_must_be_a_user_of_the_same_tenant(database: Database) -> None:
    _, user = await _setup(database)
    _, stranger = await _setup(database)
    with pytest.raises(ValidationFailed) as caught:
        await make_task(database, actor_of(user), assigned_to_user_id=stranger.id)
    assert [d.field for d in caught.value.details] == ["assigned_to_user_id"]
    assert await outbox(database) == []


async def test_bad_values_are_refused_field_by_field(database: Database) -> None:
    _, user = await _setup(database)
    with pytest.raises(ValidationFailed) as caught:
        await make_task(
            database,
            actor_of(user),
            title="  ",
            priority="critical",
            due_date=datetime(2030, 1, 1),
        )
    assert sorted(d.field for d in caught.value.details) == ["due_date", "priority", "title"]


async def test_another_tenants_task_does_not_exist(database: Database) -> None:
    _, user = await _setup(database)
    _, other = await _setup(database)
    task = await make_task(database, actor_of(user))
    async with database.transaction(tenant_id=other.tenant_id) as session:
        with pytest.raises(NotFound):
            await service.get_task(session, task_id=task.id)
        with pytest.raises(NotFound):
            await service.update_task(session, actor=actor_of(other), task_id=task.id, changes={"title": "x"})
    async with database.transaction(tenant_id=user.tenant_id) as session:
        unchanged = await session.scalar(select(Task).where(Task.id == task.id))
    assert unchanged is not None
    assert unchanged.title == "Visita a Cliente ABC"


async def test_comments_belong_to_their_task_and_author(database: Database) -> None:
    _, user = await _setup(database)
    actor = actor_of(user)
    task = await make_task(database, actor)
    async with database.transaction(tenant_id=task.tenant_id) as session:
        await service.add_comment(session, actor=actor, task_id=task.id, content="Llamé, no contestó")
        with pytest.raises(ValidationFailed):
            await service.add_comment(session, actor=actor, task_id=task.id, content="   ")
    async with database.transaction(tenant_id=task.tenant_id) as session:
        comments = await service.list_comments(session, task_id=task.id)
        authors = await service.comment_authors(session, comments)
    assert [(c.content, c.user_id) for c in comments] == [("Llamé, no contestó", user.id)]
    assert authors[user.id].email == user.email


async def test_concurrent_moves_cannot_both_pass_the_transition_check(database: Database) -> None:
    """One writer completes the task while another tries to start it from the status it read
    earlier: the second waits for the first and is then refused, instead of overwriting it."""
    _, user = await _setup(database)
    actor = actor_of(user)
    task = await make_task(database, actor)
    completed = asyncio.Event()
    release = asyncio.Event()

    async def complete() -> None:
        async with database.transaction(tenant_id=task.tenant_id) as session:
            await service.complete_task(session, actor=actor, task_id=task.id, completion_notes=None)
            completed.set()
            await release.wait()

    async def start() -> str:
        await completed.wait()
        async with database.transaction(tenant_id=task.tenant_id) as session:
            try:
                await service.update_task(
                    session, actor=actor, task_id=task.id, changes={"status": "in_progress"}
                )
            except Conflict as error:
                return error.message
        return "applied"

    both = asyncio.gather(complete(), start())
    await asyncio.sleep(0.3)
    release.set()
    _, outcome = await asyncio.wait_for(both, timeout=30)
    assert outcome == "A task cannot move from completed to in_progress."
    async with database.transaction(tenant_id=task.tenant_id) as session:
        assert (await service.get_task(session, task_id=task.id)).status == "completed"
