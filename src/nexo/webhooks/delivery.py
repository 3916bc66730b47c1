"""Delivering a subscription's queue: in order, one message at a time, every attempt logged.

The `webhooks.deliver` job (one active per subscription, see `fanout.delivery_key`) takes the
subscription's pending messages oldest first and POSTs them one after another. The first failure
stops the run: that message gets its next attempt time from the retry schedule (honouring
`Retry-After`), and the job is rescheduled for then, so later messages wait behind it. A message
that exhausts the schedule goes dead and the queue moves on. 410 Gone, or five days in which every
attempt failed, disables the subscription and emits an event saying so.

Transactions are kept off the network: the handler reads a batch and commits before sending, then
records the batch's outcomes in one short transaction. A crash between sending and recording sends
those messages again — with the same `webhook-id`, so receivers drop the duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.events import emit
from nexo.core.jobs import clock
from nexo.core.jobs.registry import Reschedule, handler
from nexo.core.tenancy import allow_all_tenants
from nexo.webhooks.fanout import DELIVER_KIND
from nexo.webhooks.formats import SubscriptionRef, format_for
from nexo.webhooks.models import (
    ACTIVE,
    DEAD,
    DELIVERED,
    DISABLED,
    PENDING,
    WebhookAttempt,
    WebhookMessage,
    WebhookSubscription,
)
from nexo.webhooks.retry import next_delay, should_disable_for_failures
from nexo.webhooks.sending import (
    DeliveryContext,
    Outcome,
    SigningSecrets,
    build_request,
    delivery_context,
    post,
    signing_secrets,
)

BATCH = 100
RUN_BUDGET_SECONDS = 2.0  # then yield the worker slot to other subscriptions
GONE_REASON = "the endpoint answered 410 Gone"
FAILING_REASON = "every delivery attempt failed for 5 days"


async def load_queue(
    session: AsyncSession, subscription_id: int, *, limit: int = BATCH
) -> tuple[WebhookSubscription | None, list[WebhookMessage]]:
    """The subscription (fresh from the database) and its first pending messages, in order."""
    subscription = await session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id)
        .execution_options(populate_existing=True)
    )
    if subscription is None:
        return None, []
    pending = (
        select(WebhookMessage)
        .where(WebhookMessage.subscription_id == subscription_id, WebhookMessage.status == PENDING)
        .order_by(WebhookMessage.enqueued_at, WebhookMessage.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return subscription, list((await session.scalars(pending)).all())


def secrets_of(context: DeliveryContext, subscription: WebhookSubscription) -> SigningSecrets:
    return signing_secrets(
        context.box,
        current=subscription.secret_encrypted,
        previous=subscription.previous_secret_encrypted,
        previous_expires_at=subscription.previous_secret_expires_at,
    )


async def send_message(
    context: DeliveryContext,
    subscription: WebhookSubscription,
    message: WebhookMessage,
    secrets: SigningSecrets,
) -> Outcome:
    body, headers = build_request(
        format_for(subscription.surface),
        msg_id=message.public_id,
        event=message.event_name,
        occurred_at=message.occurred_at,
        data=message.data,
        secrets=secrets,
    )
    return await post(context, subscription.url, body, headers, lane=subscription.id)


@handler(DELIVER_KIND, max_attempts=10)
async def deliver(session: AsyncSession, payload: dict[str, Any]) -> Reschedule | None:
    """Job handler: send the subscription's due messages (see the module docstring)."""
    allow_all_tenants(session, reason="webhook delivery works through every tenant's queues")
    context = delivery_context()
    subscription_id = int(payload["subscription_id"])
    started = time.monotonic()
    while True:
        subscription, batch = await load_queue(session, subscription_id)
        await session.commit()  # never hold a transaction (SQLite's write lock) across HTTP requests
        if subscription is None or subscription.status != ACTIVE or not batch:
            return None
        if batch[0].next_attempt_at > clock.now():
            return Reschedule(batch[0].next_attempt_at)
        sent = await _send_due(context, subscription, batch, started)
        stop = await record_outcomes(session, subscription, sent, context=context)
        await session.commit()
        if stop is not None:
            return stop if isinstance(stop, Reschedule) else None
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            return Reschedule(clock.now())  # more to send: go to the back of the line, run again


async def _send_due(
    context: DeliveryContext,
    subscription: WebhookSubscription,
    batch: Sequence[WebhookMessage],
    started: float,
) -> list[tuple[WebhookMessage, Outcome]]:
    """Send in order until a failure, a message not yet due, or the end of the run's time budget."""
    secrets = secrets_of(context, subscription)
    sent: list[tuple[WebhookMessage, Outcome]] = []
    for message in batch:
        if message.next_attempt_at > clock.now() or time.monotonic() - started > RUN_BUDGET_SECONDS:
            break
        outcome = await send_message(context, subscription, message, secrets)
        sent.append((message, outcome))
        if not outcome.ok:
            break
    return sent


class _Stop:
    """Returned by `record_outcomes` when the subscription was disabled: the job ends."""


STOPPED = _Stop()


async def record_outcomes(
    session: AsyncSession,
    subscription: WebhookSubscription,
    sent: Sequence[tuple[WebhookMessage, Outcome]],
    *,
    context: DeliveryContext,
) -> Reschedule | _Stop | None:
    """Log the attempts and move each message on. Returns a `Reschedule` when the queue must wait
    for a retry, `STOPPED` when the subscription got disabled, None to carry on."""
    try:
        return await _move_on(session, subscription, sent, context)
    finally:
        await _write_batch(session, subscription, sent)


async def _move_on(
    session: AsyncSession,
    subscription: WebhookSubscription,
    sent: Sequence[tuple[WebhookMessage, Outcome]],
    context: DeliveryContext,
) -> Reschedule | _Stop | None:
    for message, outcome in sent:
        message.attempts += 1
        message.last_status_code = outcome.status_code
        message.last_error = outcome.error
        if outcome.ok:
            message.status, message.delivered_at = DELIVERED, outcome.attempted_at
            subscription.failing_since = None
            continue
        if outcome.kind == "gone":
            message.status = DEAD
            await disable(session, subscription, reason=GONE_REASON)
            return STOPPED
        subscription.failing_since = subscription.failing_since or outcome.attempted_at
        if should_disable_for_failures(subscription.failing_since, clock.now()):
            message.status = DEAD
            await disable(session, subscription, reason=FAILING_REASON)
            return STOPPED
        retry = _schedule_retry(message, outcome, context)
        if retry is not None:
            return retry
    return None


_MESSAGES = cast(Table, WebhookMessage.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_SET_PROGRESS = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next"),
        delivered_at=bindparam("b_delivered"),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
    )
)


async def _write_batch(
    session: AsyncSession, subscription: WebhookSubscription, sent: Sequence[tuple[WebhookMessage, Outcome]]
) -> None:
    """Write a batch's messages and attempts with two multi-row statements.

    The unit of work would issue one UPDATE per message and build an object per attempt; at a
    hundred messages per batch that cost more CPU than the HTTP requests themselves. The messages
    are detached first, so the unit of work does not write them a second time.
    """
    for message, _ in sent:
        if message in session:
            session.expunge(message)
    progress = [
        {
            "b_id": message.id,
            "b_status": message.status,
            "b_attempts": message.attempts,
            "b_next": message.next_attempt_at,
            "b_delivered": message.delivered_at,
            "b_code": message.last_status_code,
            "b_error": message.last_error,
        }
        for message, _ in sent
    ]
    if progress:
        await session.execute(_SET_PROGRESS, progress)
        await session.execute(
            insert(_ATTEMPTS),
            [attempt_fields(subscription, message, outcome) for message, outcome in sent],
        )


def _schedule_retry(message: WebhookMessage, outcome: Outcome, context: DeliveryContext) -> Reschedule | None:
    """Set the message's next attempt; None (queue moves on) when it has had all its attempts."""
    now = clock.now()
    delay = next_delay(message.attempts + 1, retry_after=outcome.retry_after, rng=context.rng, now=now)
    if delay is None:
        message.status = DEAD
        return None
    message.next_attempt_at = now + delay
    return Reschedule(message.next_attempt_at)


def attempt_fields(
    subscription: WebhookSubscription, message: WebhookMessage, outcome: Outcome
) -> dict[str, Any]:
    return {
        "tenant_id": subscription.tenant_id,
        "message_id": message.id,
        "subscription_id": subscription.id,
        "attempted_at": outcome.attempted_at,
        "url": subscription.url,
        "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms,
        "response_excerpt": outcome.excerpt,
        "error": outcome.error,
        "outcome": outcome.kind,
    }


def attempt_row(
    subscription: WebhookSubscription, message: WebhookMessage, outcome: Outcome
) -> WebhookAttempt:
    return WebhookAttempt(**attempt_fields(subscription, message, outcome))


async def disable(session: AsyncSession, subscription: WebhookSubscription, *, reason: str) -> None:
    """Disable a subscription, give up its queue, and announce it (event + audit record)."""
    now: datetime = clock.now()
    subscription.status, subscription.status_reason, subscription.disabled_at = DISABLED, reason, now
    await session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.subscription_id == subscription.id, WebhookMessage.status == PENDING)
        .values(status=DEAD, last_error=f"subscription disabled: {reason}"[:500])
        .execution_options(synchronize_session=False)
    )
    ref = SubscriptionRef(subscription.id, subscription.public_id)
    name, data = format_for(subscription.surface).disabled_event(ref, url=subscription.url, reason=reason)
    emit(session, name=name, tenant_id=subscription.tenant_id, payload=data, surface=subscription.surface)
    audit = record_audit(
        session,
        actor_type="system",
        actor_id="webhooks",
        action="webhook.disabled",
        entity_type="webhook_subscription",
        entity_id=str(subscription.public_id),
        changes={"status": {"from": ACTIVE, "to": DISABLED}, "reason": {"from": None, "to": reason}},
    )
    audit.tenant_id = subscription.tenant_id
