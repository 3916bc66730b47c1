"""Self-service sign-up (a new tenant and its owner), the tenant's profile, and its people.

Collections calls a tenant an "organization"; the rows are the same `Tenant`.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.core.pagination import Page, PageParams, paginate
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.login import SignedIn
from nexo.identity.models import Role, User
from nexo.identity.roles import ensure_default_roles
from nexo.identity.sessions import start_session
from nexo.identity.users import create_user
from nexo.tenants.models import Tenant

SETTING_KEYS = ("currency", "emailDomain")
RFC_PATTERN = re.compile(r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$")

StatsProvider = Callable[[AsyncSession], Awaitable[Mapping[str, Any]]]
_stats_providers: list[StatsProvider] = []


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def split_name(full_name: str) -> tuple[str, str]:
    """`"María López Ruiz"` → `("María", "López Ruiz")`: surfaces that take one name field store it as
    first and last names, and render it back joined."""
    first, _, last = " ".join(full_name.split()).partition(" ")
    return first, last


def register_organization_stats(provider: StatsProvider) -> None:
    """Let another domain add figures to an organization's `stats` (connectors add theirs)."""
    if provider not in _stats_providers:
        _stats_providers.append(provider)


def check_rfc(rfc: str | None) -> str | None:
    """A Mexican RFC (12 characters for companies, 13 for people), uppercased; None stays None."""
    if rfc is None:
        return None
    value = rfc.strip().upper()
    if not RFC_PATTERN.fullmatch(value):
        raise ValidationFailed(
            "The RFC is not valid.",
            details=[ErrorDetail("rfc", "3-4 letters, 6 digits (date), 3 characters")],
        )
    return value


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "org"


async def _free_slug(session: AsyncSession, name: str) -> str:
    base = _slug_base(name)
    candidate = base
    while await session.scalar(select(Tenant.id).where(Tenant.slug == candidate)) is not None:
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


async def register_organization(
    session: AsyncSession,
    *,
    settings: Settings,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    organization_name: str,
    rfc: str | None,
    surface: str,
) -> tuple[Tenant, SignedIn]:
    """Create a tenant with its default roles and its owner, and sign the owner in."""
    rfc = check_rfc(rfc)
    allow_all_tenants(session, reason="sign-up creates a new tenant")
    tenant = Tenant(
        slug=await _free_slug(session, organization_name), name=organization_name.strip(), rfc=rfc
    )
    session.add(tenant)
    await session.flush()
    scope_to_tenant(session, tenant.id)
    roles = await ensure_default_roles(session, tenant)
    owner = await create_user(
        session,
        email=email,
        role=roles[("collections", "owner")],
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
    record_audit(
        session,
        actor_type="user",
        actor_id=str(owner.id),
        action="organization.registered",
        entity_type="Tenant",
        entity_id=tenant.id,
        changes={"name": {"from": None, "to": tenant.name}},
    )
    tokens = await start_session(session, settings=settings, user=owner, surface=surface, method="register")
    return tenant, SignedIn(user=owner, tokens=tokens)


async def get_organization(session: AsyncSession, tenant_id: int) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("The organization does not exist.")
    return tenant


async def update_organization(
    session: AsyncSession,
    *,
    tenant: Tenant,
    actor_id: str,
    name: str | None = None,
    rfc: str | None = None,
    timezone: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Tenant:
    """Change the organization's name, RFC, time zone or settings; audited with from → to."""
    before = {
        "name": tenant.name,
        "rfc": tenant.rfc,
        "timezone": tenant.timezone,
        "settings": dict(tenant.settings),
    }
    if name is not None:
        tenant.name = name.strip()
    if rfc is not None:
        tenant.rfc = check_rfc(rfc)
    if timezone is not None:
        if timezone not in _time_zones():
            raise ValidationFailed(details=[ErrorDetail("settings.timezone", "not an IANA time zone")])
        tenant.timezone = timezone
    if settings:
        tenant.settings = {**tenant.settings, **{k: v for k, v in settings.items() if k in SETTING_KEYS}}
    after = {
        "name": tenant.name,
        "rfc": tenant.rfc,
        "timezone": tenant.timezone,
        "settings": dict(tenant.settings),
    }
    record_audit(
        session,
        actor_type="user",
        actor_id=actor_id,
        action="organization.updated",
        entity_type="Tenant",
        entity_id=tenant.id,
        changes=diff_changes(before, after),
    )
    await session.flush()
    return tenant


async def organization_stats(session: AsyncSession) -> dict[str, Any]:
    """`usersCount`, `connectorsCount`, `lastSyncAt` of the session's tenant; connectors report theirs
    through `register_organization_stats` (until they do, none are counted)."""
    users = await session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None)))
    stats: dict[str, Any] = {"usersCount": users or 0, "connectorsCount": 0, "lastSyncAt": None}
    for provider in _stats_providers:
        stats.update(await provider(session))
    return stats


async def list_people(session: AsyncSession, *, surface: str, params: PageParams) -> Page[Any]:
    """The session tenant's users who can use `surface` (its family or "any"), oldest first."""
    query = (
        select(User, Role)
        .join(Role, Role.id == User.role_id)
        .where(User.deleted_at.is_(None), Role.surface.in_((surface, "any")))
        .order_by(User.id)
    )
    return await paginate(session, query, params)
