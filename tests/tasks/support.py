"""Builders for tasks tests: principals, tokens for both surfaces, tasks, and outbox inspection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from tests.identity_support import create_user, issue_token

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.identity.models import User
from nexo.tasks import service
from nexo.tasks.models import Task
from nexo.tenants.models import Tenant

TASKS_SCOPES = ("tasks:read", "tasks:write")


def actor_of(user: User) -> Principal:
    return Principal(kind="user", id=str(user.id), tenant_id=user.tenant_id, permissions=frozenset({"*"}))


async def tasks_token(
    database: Database, settings: Settings, tenant: Tenant, permissions: Sequence[str] = TASKS_SCOPES
) -> str:
    """A Bearer token accepted by the tasks surface, holding exactly `permissions`."""
    user = await create_user(
        database,
        tenant=tenant,
        surface="tasks",
        role=f"integration-{uuid.uuid4().hex[:8]}",
        permissions=permissions,
    )
    return await issue_token(database, settings, user, surface="tasks")


async def crm_token(
    database: Database, settings: Settings, tenant: Tenant, role: str = "agent"
) -> tuple[User, str]:
    user = await create_user(database, tenant=tenant, surface="crm", role=role)
    return user, await issue_token(database, settings, user, surface="crm")


async def make_task(database: Database, actor: Principal, **values: Any) -> Task:
    values.setdefault("title", "Visita a Cliente ABC")
    assert actor.tenant_id is not None
    async with database.transaction(tenant_id=actor.tenant_id) as session:
        return await service.create_task(session, actor=actor, values=values)


async def outbox(database: Database, *, name_prefix: str = "task.") -> list[OutboxEvent]:
    """Every task event in the outbox, oldest first."""
    async with database.transaction() as session:
        allow_all_tenants(session, reason="tests read every tenant's events")
        statement = (
            select(OutboxEvent).where(OutboxEvent.name.startswith(name_prefix)).order_by(OutboxEvent.id)
        )
        return list(await session.scalars(statement))
