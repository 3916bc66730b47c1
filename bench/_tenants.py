"""A tenant and one signed-up user for a benchmark, made through Nexo's own services (real default
roles, a real password hash), so the benchmarked code sees what production would."""

from __future__ import annotations

from dataclasses import dataclass

from nexo.core.db.session import Database
from nexo.core.tenancy import allow_all_tenants
from nexo.identity.roles import ensure_default_roles
from nexo.identity.users import create_user
from nexo.models import Base  # noqa: F401 - every table, for the foreign keys
from nexo.tenants.models import Tenant


@dataclass(frozen=True)
class TenantUser:
    tenant_id: int
    user_id: int
    email: str


async def tenant_with_user(
    database: Database, slug: str, *, role: tuple[str, str], password: str
) -> TenantUser:
    """Tenant `slug` with its default roles and a user `<role name>@<slug>.bench.example` holding
    the default role `role` = (surface, name), e.g. `("crm", "admin")`."""
    async with database.transaction() as session:
        allow_all_tenants(session, reason="benchmark setup")
        tenant = Tenant(slug=slug, name=f"Bench {slug}")
        session.add(tenant)
        await session.flush()
    email = f"{role[1]}@{slug}.bench.example"
    async with database.transaction(tenant_id=tenant.id) as session:
        roles = await ensure_default_roles(session, tenant)
        user = await create_user(session, email=email, role=roles[role], password=password)
    return TenantUser(tenant.id, user.id, email)
