"""The platform surface's verification handshake.

A new platform subscription starts `pending_verification`. A test event — `webhook.verification`,
signed like any delivery, with a random `challenge` in `data` — is sent to the URL; the endpoint
proves it is the subscriber's by answering 2xx with the challenge, either as the whole body or as
`{"challenge": "…"}`. Only then does the subscription turn active and start receiving events.
The test event is retried a few times (immediately, 5 s, 5 min, 30 min) and logged like any
delivery; after that the subscription stays pending until its owner asks for a new handshake.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.jobs import clock
from nexo.core.jobs.queue import enqueue
from nexo.core.jobs.registry import Reschedule, handler
from nexo.core.security.opaque import secrets_equal
from nexo.core.tenancy import allow_all_tenants
from nexo.webhooks.catalog import VERIFICATION_EVENT
from nexo.webhooks.delivery import attempt_row, secrets_of, send_message
from nexo.webhooks.formats import SubscriptionRef, format_for
from nexo.webhooks.models import (
    ACTIVE,
    DEAD,
    DELIVERED,
    PENDING,
    PENDING_VERIFICATION,
    WebhookMessage,
    WebhookSubscription,
)
from nexo.webhooks.retry import next_delay
from nexo.webhooks.sending import Outcome, delivery_context

VERIFY_KIND = "webhooks.verify"
VERIFY_ATTEMPTS = 4


def echoes(excerpt: str | None, challenge: str) -> bool:
    """True if a response body is the challenge, or a JSON object whose `challenge` is it."""
    if not excerpt:
        return False
    text = excerpt.strip()
    if secrets_equal(text, challenge):
        return True
    try:
        document = json.loads(text)
    except ValueError:
        return False
    answer = document.get("challenge") if isinstance(document, dict) else None
    return isinstance(answer, str) and secrets_equal(answer, challenge)


async def start_verification(session: AsyncSession, subscription: WebhookSubscription) -> WebhookMessage:
    """Put the subscription in `pending_verification` with a fresh challenge and queue the test event."""
    now = clock.now()
    challenge = secrets.token_urlsafe(24)
    subscription.status, subscription.verification_challenge = PENDING_VERIFICATION, challenge
    subscription.status_reason = "waiting for the endpoint to echo the verification challenge"
    await session.flush()  # the subscription needs its id before the message can point at it
    ref = SubscriptionRef(subscription.id, subscription.public_id)
    message = WebhookMessage(
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        event_name=VERIFICATION_EVENT,
        data={"challenge": challenge, "webhookId": format_for(subscription.surface).render_id(ref)},
        occurred_at=now,
        status=PENDING,
        next_attempt_at=now,
        enqueued_at=now,
    )
    session.add(message)
    await session.flush()
    await enqueue(session, VERIFY_KIND, {"subscription_id": subscription.id, "message_id": message.id})
    return message


@handler(VERIFY_KIND)
async def verify(session: AsyncSession, payload: dict[str, Any]) -> Reschedule | None:
    """Job handler: send the test event and activate the subscription if the challenge comes back."""
    allow_all_tenants(session, reason="webhook verification works for every tenant")
    subscription = await session.get(
        WebhookSubscription, int(payload["subscription_id"]), populate_existing=True
    )
    message = await session.scalar(
        select(WebhookMessage)
        .where(WebhookMessage.id == int(payload["message_id"]))
        .execution_options(populate_existing=True)
    )
    await session.commit()  # no transaction held across the HTTP request
    if subscription is None or message is None or message.status != PENDING:
        return None
    if subscription.status != PENDING_VERIFICATION or message.data.get("challenge") != (
        subscription.verification_challenge
    ):
        return None  # superseded by a newer handshake, or deleted meanwhile
    if message.next_attempt_at > clock.now():
        return Reschedule(message.next_attempt_at)
    context = delivery_context()
    outcome = await send_message(context, subscription, message, secrets_of(context, subscription))
    if outcome.ok and not echoes(outcome.excerpt, str(message.data["challenge"])):
        outcome = _not_echoed(outcome)
    return _record(session, subscription, message, outcome, context.rng)


def _not_echoed(outcome: Outcome) -> Outcome:
    return Outcome(
        "failure",
        outcome.attempted_at,
        outcome.duration_ms,
        status_code=outcome.status_code,
        excerpt=outcome.excerpt,
        error="the response did not echo the verification challenge",
    )


def _record(
    session: AsyncSession,
    subscription: WebhookSubscription,
    message: WebhookMessage,
    outcome: Outcome,
    rng: Any,
) -> Reschedule | None:
    session.add(attempt_row(subscription, message, outcome))
    message.attempts += 1
    message.last_status_code, message.last_error = outcome.status_code, outcome.error
    if outcome.ok:
        message.status, message.delivered_at = DELIVERED, outcome.attempted_at
        subscription.status, subscription.verified_at = ACTIVE, outcome.attempted_at
        subscription.status_reason = subscription.verification_challenge = None
        return None
    delay = next_delay(message.attempts + 1, retry_after=outcome.retry_after, rng=rng)
    if message.attempts >= VERIFY_ATTEMPTS or delay is None:
        message.status = DEAD
        subscription.status_reason = f"verification failed: {outcome.error}"[:500]
        return None
    message.next_attempt_at = clock.now() + delay
    return Reschedule(message.next_attempt_at)
