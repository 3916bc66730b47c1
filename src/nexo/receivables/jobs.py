"""Background work of the receivables domain, registered with the job system on import:

- `cobranza.enviar`: send one reminder delivery over SMTP (`reminders.send_delivery`);
- `cartera.vencimientos` (hourly): announce invoices that crossed their due date (`overdue.sweep`).

Handlers read the process settings (`NEXO_SMTP_*`, `NEXO_PUBLIC_BASE_URL`) unless `configure` was
called with others; tests call the plain functions with their own relay instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.jobs import Periodic, Reschedule, register_handler, register_periodic
from nexo.core.settings import Settings, get_settings
from nexo.integrations.smtp import SmtpConfig, SmtpSender
from nexo.receivables import overdue, reminders

SWEEP_JOB = "cartera.vencimientos"
_configured: list[Settings] = []


def configure(settings: Settings) -> None:
    """Use `settings` (not the environment's) for the handlers of this process."""
    _configured[:] = [settings]


def _settings() -> Settings:
    return _configured[0] if _configured else get_settings()


async def _send(session: AsyncSession, payload: dict[str, Any]) -> Reschedule | None:
    settings = _settings()
    smtp = SmtpSender(SmtpConfig.from_settings(settings))
    return await reminders.send_delivery(session, payload, smtp=smtp, base_url=settings.public_base_url)


async def _sweep(session: AsyncSession, payload: dict[str, Any]) -> None:
    await overdue.sweep(session)


register_handler(reminders.SEND_JOB, _send, max_attempts=reminders.MAX_ATTEMPTS + 1)
register_handler(SWEEP_JOB, _sweep)
# Hourly, because organizations' midnights fall on different UTC hours; each invoice is announced once.
register_periodic(Periodic(name=SWEEP_JOB, kind=SWEEP_JOB, every=timedelta(hours=1)))
