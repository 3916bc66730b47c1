"""Demo data for `make run`: idempotent, so running it again changes nothing and prints the same logins."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from nexo.core.db.session import Database
from nexo.core.tenancy import allow_all_tenants
from nexo.tenants.models import Tenant

DEMO_TENANT_SLUG = "demo"


@dataclass
class DemoReport:
    tenant_slug: str
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (surface/role, login, password)


async def load_demo(database: Database) -> DemoReport:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="demo loader creates the demo tenant")
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == DEMO_TENANT_SLUG))
        created = tenant is None
        if tenant is None:
            tenant = Tenant(slug=DEMO_TENANT_SLUG, name="Demo Agencia S.A. de C.V.", plan="premium")
            session.add(tenant)
            await session.flush()
    return DemoReport(tenant_slug=DEMO_TENANT_SLUG, created=created)
