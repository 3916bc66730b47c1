"""Builders for authenticated tests: tenants, users with a role, and their access tokens.

    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="crm", role="agent")
    token = await login_token(client, "crm", user.email)              # through POST /auth/login
    token = await issue_token(database, settings, user, surface="tasks")  # minted, no HTTP
    response = await client.get("/crm/v1/chats", headers=auth_headers(token))

`create_user(..., permissions=[...])` makes a custom role with exactly those permissions, for testing
a route's permission checks. A user's token is accepted only on surfaces its role's family serves:
each surface but the platform has default roles (media admin/viewer, tasks admin/member too); pass
`surface="any"` with `permissions=[...]` for a role that signs in everywhere.
`tenant=None` makes a platform owner (`PLATFORM_OWNER`).
These signatures are used by other test packages: keep them stable.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.models import Role, User
from nexo.identity.permissions import DEFAULT_TENANT_ROLES, PLATFORM_OWNER
from nexo.identity.roles import create_role, ensure_default_roles, ensure_platform_roles
from nexo.identity.sessions import start_session
from nexo.identity.users import create_user as create_user_row
from nexo.tenants.models import Tenant

DEFAULT_PASSWORD = "correct horse battery staple"
LOGIN_PATHS = {
    "crm": "/crm/v1/auth/login",
    "collections": "/collections/v1/auth/login",
    "platform": "/api/auth/login",
    "media": "/media/v2/auth/login",
    "tasks": "/tasks/v1/auth/login",
}
_DEFAULT_ROLE_NAMES = frozenset(template.name for template in DEFAULT_TENANT_ROLES)
_counter = itertools.count(1)


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_tenant(
    database: Database, *, slug: str | None = None, name: str | None = None, plan: str = "standard"
) -> Tenant:
    """A tenant with its default roles (crm admin/supervisor/agent, collections owner/admin/collector,
    media admin/viewer, tasks admin/member)."""
    slug = slug or f"tenant-{uuid.uuid4().hex[:10]}"
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test builder creates a tenant")
        tenant = Tenant(slug=slug, name=name or f"Tenant {slug}", plan=plan)
        session.add(tenant)
        await session.flush()
    async with database.transaction(tenant_id=tenant.id) as session:
        await ensure_default_roles(session, tenant)
    return tenant


async def create_user(
    database: Database,
    *,
    tenant: Tenant | None,
    role: str = "admin",
    surface: str = "crm",
    permissions: Iterable[str] | None = None,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    first_name: str = "Test",
    last_name: str = "User",
    status: str = "active",
) -> User:
    """A user of `tenant` with the default role `role` of `surface`'s family, or, when `permissions`
    is given, with a new custom role named `role` holding exactly those permissions.
    `tenant=None` makes a platform owner (the role and surface arguments are then ignored)."""
    email = email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"
    if tenant is None:
        async with database.transaction() as session:
            allow_all_tenants(session, reason="test builder creates a platform owner")
            roles = await ensure_platform_roles(session)
            owner_role = roles[("platform", PLATFORM_OWNER)]
            return await create_user_row(
                session,
                email=email,
                role=owner_role,
                password=password,
                first_name=first_name,
                last_name=last_name,
                status=status,
            )
    async with database.transaction(tenant_id=tenant.id) as session:
        chosen = await _role(session, surface=surface, name=role, permissions=permissions)
        return await create_user_row(
            session,
            email=email,
            role=chosen,
            password=password,
            first_name=first_name,
            last_name=last_name,
            status=status,
        )


async def _role(session: AsyncSession, *, surface: str, name: str, permissions: Iterable[str] | None) -> Role:
    if permissions is not None:
        custom = f"{name}-{uuid.uuid4().hex[:6]}" if name in _DEFAULT_ROLE_NAMES else name
        return await create_role(session, surface=surface, name=custom, permissions=permissions)
    role = await session.scalar(select(Role).where(Role.surface == surface, Role.name == name))
    if role is None:
        raise LookupError(f"no {surface} role named {name!r}; pass permissions=[...] for a custom role")
    return role


async def login_token(
    client: httpx.AsyncClient, surface: str, email: str, password: str = DEFAULT_PASSWORD
) -> str:
    """Sign in through the surface's own login endpoint and return the access token."""
    response = await client.post(LOGIN_PATHS[surface], json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    token = (
        body["tokens"]["accessToken"]
        if surface == "collections"
        else body.get("access_token") or body["accessToken"]
    )
    assert isinstance(token, str)
    return token


async def issue_token(database: Database, settings: Settings, user: User, *, surface: str) -> str:
    """Mint an access token for `user` on any surface without HTTP (opens a real sign-in session, so
    the token is accepted, and refused after a logout, like one from the login endpoint)."""
    async with database.transaction() as session:
        if user.tenant_id is None:
            allow_all_tenants(session, reason="test builder signs a platform owner in")
        else:
            scope_to_tenant(session, user.tenant_id)
        fresh = await session.scalar(select(User).where(User.id == user.id))
        assert fresh is not None
        tokens = await start_session(session, settings=settings, user=fresh, surface=surface)
    return tokens.access_token
