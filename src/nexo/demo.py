"""Demo data for `make run`: idempotent, so running it again changes nothing and prints the same logins.

The demo tenant gets one user per default role of each surface and the platform gets one owner, all
with the published password `DEMO_PASSWORD`. A demo account whose password or status someone changed
is put back, so the printed logins always work. Never load the demo into an instance that faces the
internet: its passwords are in this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from nexo.core.db.session import Database
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.demo import demo_credentials
from nexo.identity.models import Role, User
from nexo.identity.permissions import PLATFORM_OWNER
from nexo.identity.roles import ensure_default_roles, ensure_platform_roles
from nexo.identity.users import create_user, set_password, verify_password_async
from nexo.media.demo import load_media_demo
from nexo.tenants.models import Tenant

DEMO_TENANT_SLUG = "demo"
DEMO_PASSWORD = "nexo-demo-2026"  # noqa: S105 - published on purpose: demo only
DEMO_DOMAIN = "demo.nexo.example"
# (surface, role, email local part, first name, last name)
DEMO_PEOPLE = (
    ("crm", "admin", "crm.admin", "Ana", "Administradora"),
    ("crm", "supervisor", "crm.supervisor", "Sergio", "Supervisor"),
    ("crm", "agent", "crm.agent", "Juan", "Pérez"),
    ("collections", "owner", "cobranza.owner", "Olga", "Propietaria"),
    ("collections", "admin", "cobranza.admin", "Adrián", "Administrador"),
    ("collections", "collector", "cobranza.collector", "Carla", "Cobradora"),
    ("media", "admin", "media.admin", "Mario", "Medios"),
    ("tasks", "admin", "tasks.admin", "Tania", "Tareas"),
)
PLATFORM_OWNER_EMAIL = f"owner@{DEMO_DOMAIN}"


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
        owner_role = (await ensure_platform_roles(session))[("platform", PLATFORM_OWNER)]
        await _ensure_person(
            session, role=owner_role, email=PLATFORM_OWNER_EMAIL, first_name="Paula", last_name="Plataforma"
        )
    report = DemoReport(tenant_slug=DEMO_TENANT_SLUG, created=created)
    report.logins.append(("platform PLATFORM_OWNER", PLATFORM_OWNER_EMAIL, DEMO_PASSWORD))
    async with database.transaction(tenant_id=tenant.id) as session:
        roles = await ensure_default_roles(session, tenant)
        for surface, role_name, local, first_name, last_name in DEMO_PEOPLE:
            email = f"{local}@{DEMO_DOMAIN}"
            role = roles[(surface, role_name)]
            await _ensure_person(session, role=role, email=email, first_name=first_name, last_name=last_name)
            report.logins.append((f"{surface} {role_name}", email, DEMO_PASSWORD))
        report.logins.extend(await demo_credentials(session, tenant))
    async with database.transaction(tenant_id=tenant.id) as session:
        await load_media_demo(session)  # clients, campaigns and orders, so the reports show figures
    return report


async def _ensure_person(
    session: AsyncSession, *, role: Role, email: str, first_name: str, last_name: str
) -> None:
    """Create the demo account, or put back its role, status and password if they were changed."""
    query = select(User).options(joinedload(User.role)).where(User.email == email, User.deleted_at.is_(None))
    if role.surface == "platform":
        query = query.join(Role, Role.id == User.role_id).where(Role.surface == "platform")
    user = await session.scalar(query)
    if user is None:
        await create_user(
            session,
            email=email,
            role=role,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
        )
        return
    user.role_id, user.status = role.id, "active"
    matches = (
        user.password_hash is not None and (await verify_password_async(DEMO_PASSWORD, user.password_hash))[0]
    )
    if not matches:
        await set_password(user, DEMO_PASSWORD)
