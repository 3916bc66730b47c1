"""Days as the organization sees them: "today" in its time zone, and dates as day numbers.

Overdue days and aging buckets are counted in calendar days of the organization's time zone
(`tenants.timezone`), so an invoice due on the 15th in Mexico City is one day overdue on the 16th
there, whatever the UTC time is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.jobs import clock
from nexo.core.tenancy import current_tenant_id
from nexo.tenants.models import Tenant

EPOCH = date(1970, 1, 1)
DEFAULT_TIMEZONE = "America/Mexico_City"


def day_number(day: date) -> int:
    """Days since 1970-01-01 (what `receivable_invoices.vencimiento_dia` stores)."""
    return (day - EPOCH).days


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_today(timezone: str | None, now: datetime | None = None) -> date:
    return (now or clock.now()).astimezone(zone(timezone)).date()


@dataclass(frozen=True, slots=True)
class Organization:
    tenant_id: int
    nombre: str
    timezone: str
    currency: str
    email_domain: str | None
    today: date

    @property
    def today_number(self) -> int:
        return day_number(self.today)


async def current_organization(session: AsyncSession) -> Organization:
    """The session's tenant as an organization, with its local "today"."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("current_organization needs a session scoped to a tenant")
    tenant = await session.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if tenant is None:
        raise RuntimeError(f"tenant {tenant_id} does not exist")
    return organization_of(tenant)


def organization_of(tenant: Tenant) -> Organization:
    settings = tenant.settings or {}
    return Organization(
        tenant_id=tenant.id,
        nombre=tenant.name,
        timezone=tenant.timezone or DEFAULT_TIMEZONE,
        currency=str(settings.get("currency") or "MXN"),
        email_domain=settings.get("emailDomain") or settings.get("email_domain"),
        today=local_today(tenant.timezone),
    )
