"""Default roles, custom roles, and the rule that nobody grants more than they hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.identity_support import create_tenant

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.errors import Conflict, Forbidden, ValidationFailed
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.identity.models import Role
from nexo.identity.permissions import CATALOGUE_BY_FAMILY, DEFAULT_TENANT_ROLES
from nexo.identity.roles import check_can_grant, create_role, ensure_default_roles, find_role


def test_every_default_permission_is_in_the_catalogue() -> None:
    for template in DEFAULT_TENANT_ROLES:
        catalogue = CATALOGUE_BY_FAMILY[template.surface]
        assert set(template.permissions) <= set(catalogue), template.name
    crm = {
        template.name: set(template.permissions)
        for template in DEFAULT_TENANT_ROLES
        if template.surface == "crm"
    }
    assert crm["agent"] < crm["supervisor"] < crm["admin"]
    # The spec's own strings are all present.
    spec = {
        "users.create",
        "users.update",
        "users.delete",
        "campaigns.create",
        "whatsapp.numbers.manage",
        "chats.assign",
        "chats.transfer",
        "chats.close",
        "messages.create",
        "backups.create",
        "backups.restore",
    }
    assert spec <= crm["admin"]


async def test_default_roles_are_created_once_and_edits_survive(database: Database) -> None:
    tenant = await create_tenant(database)  # seeds the defaults
    async with database.transaction(tenant_id=tenant.id) as session:
        agent = await find_role(session, surface="crm", name="agent")
        agent.permissions = [*agent.permissions, "reports.read"]
    async with database.transaction(tenant_id=tenant.id) as session:
        await ensure_default_roles(session, tenant)
        rows = list(await session.scalars(select(Role)))
        assert len(rows) == len(DEFAULT_TENANT_ROLES)
        agent = await find_role(session, surface="crm", name="agent")
        assert "reports.read" in agent.permissions


async def test_default_roles_need_a_session_scoped_to_the_tenant(database: Database) -> None:
    tenant = await create_tenant(database)
    other = await create_tenant(database)
    async with database.transaction(tenant_id=other.id) as session:
        with pytest.raises(RuntimeError):
            await ensure_default_roles(session, tenant)


async def test_custom_roles(database: Database) -> None:
    tenant = await create_tenant(database)
    async with database.transaction(tenant_id=tenant.id) as session:
        role = await create_role(
            session, surface="any", name="auditor", permissions=["audit.read", "cartera:read"]
        )
        assert role.permissions == ["audit.read", "cartera:read"]
        assert (await find_role(session, surface="collections", name="auditor")).id == role.id
        with pytest.raises(Conflict):
            await create_role(session, surface="any", name="auditor", permissions=[])
        with pytest.raises(ValidationFailed):
            await create_role(session, surface="platform", name="root", permissions=["*"])
        with pytest.raises(ValidationFailed):
            await create_role(session, surface="crm", name=" ", permissions=[])


def test_nobody_grants_more_than_they_hold() -> None:
    admin = Principal(
        kind="user", id="1", tenant_id=1, permissions=frozenset({"usuarios:invite", "cartera:read"})
    )
    small = Role(name="reader", permissions=["cartera:read"])
    big = Role(name="owner", permissions=["cartera:read", "organizacion:billing"])
    check_can_grant(admin, small)
    with pytest.raises(Forbidden):
        check_can_grant(admin, big)
    wildcard = Principal(kind="user", id="2", tenant_id=1, permissions=frozenset({"*"}))
    check_can_grant(wildcard, big)


def test_media_and_tasks_defaults_manage_credentials_and_hold_every_scope() -> None:
    roles = {(t.surface, t.name): set(t.permissions) for t in DEFAULT_TENANT_ROLES}
    media_reads = {scope for scope in MEDIA_SCOPES if scope.startswith("read:")}
    assert roles[("media", "admin")] == {"api_keys.manage", "oauth_clients.manage", *MEDIA_SCOPES}
    assert roles[("media", "viewer")] == media_reads
    assert {"read:reportes", "read:analytics", "read:webhooks", "write:webhooks"} <= roles[("media", "admin")]
    assert roles[("tasks", "admin")] == {"oauth_clients.manage", "tasks:read", "tasks:write"}
    assert roles[("tasks", "member")] == {"tasks:read", "tasks:write"}
