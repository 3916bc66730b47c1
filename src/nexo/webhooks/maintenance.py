"""Periodic housekeeping of the webhook engine: retention and the end of rotation windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.events import prune_dispatched
from nexo.core.jobs import clock
from nexo.core.jobs.registry import Periodic, handler, register_periodic
from nexo.core.tenancy import allow_all_tenants
from nexo.webhooks.models import DEAD, DELIVERED, WebhookMessage, WebhookSubscription

PRUNE_KIND = "webhooks.prune"
EXPIRE_SECRETS_KIND = "webhooks.expire_secrets"
KEEP_MESSAGES = timedelta(days=30)  # the delivery log (and redelivery) reaches back a month
KEEP_EVENTS = timedelta(days=7)  # dispatched outbox rows; messages keep their own copy of the data


@handler(PRUNE_KIND)
async def prune(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Delete finished messages (and, by cascade, their attempts) and old dispatched events."""
    allow_all_tenants(session, reason="webhook retention covers every tenant")
    cutoff = clock.now() - KEEP_MESSAGES
    await session.execute(
        delete(WebhookMessage)
        .where(WebhookMessage.status.in_((DELIVERED, DEAD)), WebhookMessage.enqueued_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    await prune_dispatched(session, older_than=KEEP_EVENTS)


@handler(EXPIRE_SECRETS_KIND)
async def expire_previous_secrets(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Forget previous secrets whose overlap window has ended (signing already ignores them)."""
    allow_all_tenants(session, reason="secret rotation windows of every tenant")
    await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.previous_secret_expires_at.is_not(None),
            WebhookSubscription.previous_secret_expires_at <= clock.now(),
        )
        .values(previous_secret_encrypted=None, previous_secret_expires_at=None)
        .execution_options(synchronize_session=False)
    )


register_periodic(Periodic("webhooks.prune", PRUNE_KIND, timedelta(days=1)))
register_periodic(Periodic("webhooks.expire_secrets", EXPIRE_SECRETS_KIND, timedelta(hours=1)))
