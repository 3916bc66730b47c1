"""From outbox events to webhook messages: one message per event per subscription that wants it.

Registered as the outbox's consumer, so it runs inside the dispatcher's transaction: the messages,
the delivery jobs that will send them and "this event is dispatched" commit together. Only one
dispatcher runs at a time, so each subscription's messages are created in event order.

Which subscriptions get an event: active ones, on a surface whose catalog lists the event (or the
surface the event was emitted for), of the event's tenant — plus, on the platform surface, the
platform owner's own subscriptions, which belong to no tenant and see every tenant's events —
whose patterns select the event name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.events import OutboxEvent, register_outbox_consumer
from nexo.core.jobs import clock
from nexo.core.jobs.queue import enqueue
from nexo.webhooks.catalog import surfaces_for
from nexo.webhooks.filters import subscription_wants
from nexo.webhooks.models import ACTIVE, PENDING, WebhookMessage, WebhookSubscription, new_message_id

DELIVER_KIND = "webhooks.deliver"


def delivery_key(subscription_id: int) -> str:
    """One active delivery job per subscription: the guarantee behind per-subscription order."""
    return f"{DELIVER_KIND}:{subscription_id}"


def _surfaces(event: OutboxEvent) -> tuple[str, ...]:
    return (event.surface,) if event.surface is not None else surfaces_for(event.name)


def _receives(subscription: WebhookSubscription, event: OutboxEvent) -> bool:
    if subscription.surface not in _surfaces(event):
        return False
    same_tenant = subscription.tenant_id == event.tenant_id  # tenancy: explicit, rows already loaded
    platform_owner = subscription.tenant_id is None and subscription.surface == "platform"
    return (same_tenant or platform_owner) and subscription_wants(subscription.events, event.name)


async def _candidates(session: AsyncSession, events: Sequence[OutboxEvent]) -> list[WebhookSubscription]:
    """Active subscriptions that could want any of `events`.

    System code in an all-tenants session: it must see several tenants' subscriptions at once, so
    it names the tenants itself (the only place in the engine that does).
    """
    surfaces = {surface for event in events for surface in _surfaces(event)}
    tenants = {event.tenant_id for event in events if event.tenant_id is not None}
    of_their_tenants = WebhookSubscription.tenant_id.in_(tenants)  # tenancy: explicit, see above
    platform_owners = WebhookSubscription.tenant_id.is_(None)
    statement = select(WebhookSubscription).where(
        WebhookSubscription.status == ACTIVE,
        WebhookSubscription.surface.in_(surfaces),
        or_(of_their_tenants, platform_owners),
    )
    return list((await session.scalars(statement.execution_options(populate_existing=True))).all())


async def fan_out(session: AsyncSession, events: Sequence[OutboxEvent]) -> None:
    subscriptions = await _candidates(session, events)
    if not subscriptions:
        return
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for event in events:
        for subscription in subscriptions:
            if _receives(subscription, event):
                rows.append(_message_row(subscription, event, now))
    if not rows:
        return
    await session.execute(insert(cast(Table, WebhookMessage.__table__)), rows)  # one multi-row INSERT
    for subscription_id in dict.fromkeys(row["subscription_id"] for row in rows):
        await enqueue(
            session,
            DELIVER_KIND,
            {"subscription_id": subscription_id},
            dedupe_key=delivery_key(subscription_id),
        )


def _message_row(subscription: WebhookSubscription, event: OutboxEvent, now: Any) -> dict[str, Any]:
    return {
        "public_id": new_message_id(),
        "subscription_id": subscription.id,
        "tenant_id": subscription.tenant_id,
        "event_id": event.id,
        "event_name": event.name,
        "data": event.payload,
        "occurred_at": event.occurred_at,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "enqueued_at": now,
        "created_at": now,
    }


register_outbox_consumer(fan_out)
