"""Roles: the default set every tenant starts with, custom roles, and the rule for granting one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.errors import Conflict, ErrorDetail, Forbidden, NotFound, ValidationFailed
from nexo.core.tenancy import current_tenant_id
from nexo.identity.models import Role
from nexo.identity.permissions import (
    DEFAULT_TENANT_ROLES,
    PLATFORM_ROLES,
    SURFACE_FAMILIES,
    RoleTemplate,
    role_serves,
)
from nexo.tenants.models import Tenant


async def ensure_default_roles(session: AsyncSession, tenant: Tenant) -> dict[tuple[str, str], Role]:
    """Create the tenant's missing default roles; return every default role by `(surface, name)`.

    Idempotent, and it leaves existing roles alone, so a tenant's edits to a default role survive.
    The session must be scoped to `tenant` (the scoping, not this function, picks the tenant's rows).
    """
    if current_tenant_id(session) != tenant.id:
        raise RuntimeError("ensure_default_roles needs a session scoped to the tenant")
    rows = await session.scalars(select(Role).where(Role.is_system.is_(True)))
    existing = {(role.surface, role.name): role for role in rows}
    return await _ensure(session, DEFAULT_TENANT_ROLES, existing, tenant_id=tenant.id)


async def ensure_platform_roles(session: AsyncSession) -> dict[tuple[str, str], Role]:
    """Create the platform's own roles (`PLATFORM_OWNER`), which belong to no tenant. Only platform
    roles have the "platform" family (tenants cannot create one), so the family finds them."""
    rows = await session.scalars(select(Role).where(Role.surface == "platform"))
    existing = {(role.surface, role.name): role for role in rows}
    return await _ensure(session, PLATFORM_ROLES, existing, tenant_id=None)


async def _ensure(
    session: AsyncSession,
    templates: Iterable[RoleTemplate],
    existing: dict[tuple[str, str], Role],
    *,
    tenant_id: int | None,
) -> dict[tuple[str, str], Role]:
    roles: dict[tuple[str, str], Role] = {}
    for template in templates:
        key = (template.surface, template.name)
        role = existing.get(key)
        if role is None:
            role = Role(
                tenant_id=tenant_id,
                surface=template.surface,
                name=template.name,
                display_name=template.display_name,
                permissions=list(template.permissions),
                is_system=True,
            )
            session.add(role)
        roles[key] = role
    await session.flush()
    return roles


async def create_role(
    session: AsyncSession,
    *,
    surface: str,
    name: str,
    display_name: str | None = None,
    permissions: Iterable[str],
) -> Role:
    """A custom role in the session's tenant. `surface` is the family it signs in to, or "any"."""
    name = name.strip()
    if surface not in SURFACE_FAMILIES or surface == "platform":
        raise ValidationFailed(
            f"Unknown surface {surface!r}.",
            details=[ErrorDetail("surface", f"one of {', '.join(SURFACE_FAMILIES)}")],
        )
    if not name or len(name) > 64:
        raise ValidationFailed(details=[ErrorDetail("name", "1 to 64 characters")])
    clash = await session.scalar(select(Role).where(Role.surface == surface, Role.name == name))
    if clash is not None:
        raise Conflict(f"A {surface} role named {name!r} already exists.")
    role = Role(
        surface=surface,
        name=name,
        display_name=display_name or name,
        permissions=sorted(set(permissions)),
        is_system=False,
    )
    session.add(role)
    await session.flush()
    return role


async def find_role(session: AsyncSession, *, surface: str, name: str) -> Role:
    """The session tenant's role called `name` that serves `surface` (its own family first)."""
    query = select(Role).where(Role.name == name, Role.surface.in_((surface, "any")))
    rows = list(await session.scalars(query))
    rows.sort(key=lambda role: role.surface != surface)
    if not rows:
        raise NotFound(f"There is no role {name!r}.")
    return rows[0]


def check_can_grant(principal: Principal, role: Role) -> None:
    """Refuse to hand out a role holding a permission the granting principal lacks (no escalation)."""
    missing = sorted(p for p in role.permissions if not principal.can(p))
    if missing:
        raise Forbidden(
            f"You cannot grant the role {role.name!r}: it holds permissions you do not have.",
            code="INSUFFICIENT_PERMISSIONS",
        )


def role_matches_surface(role: Role, surface: str) -> bool:
    return role_serves(role.surface, surface)
