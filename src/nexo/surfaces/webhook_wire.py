"""What the four surfaces' webhook routers share: the delivery log's wire shapes and the calls that
turn a subscription's messages into them.

A "delivery" is one message for one subscription — its `id` is the `webhook-id` header receivers
see — with its attempt log. The shape is the same everywhere; collections and platform render it
in camelCase (`Camel…` classes), media and tasks in snake_case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.http.schemas import CamelWireModel, WireModel
from nexo.webhooks import service
from nexo.webhooks.models import PENDING, WebhookAttempt, WebhookMessage, WebhookSubscription

DeliveryStatus = Literal["pending", "delivered", "dead"]
StatusFilter = Annotated[
    DeliveryStatus | None, Query(description="Only deliveries in this state: pending, delivered or dead.")
]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40, description="The delivery's id (`msg_…`).")]


class AttemptOut(WireModel):
    attempted_at: datetime
    url: str
    outcome: Literal["success", "failure", "gone", "refused"]
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None  # the first 2 KB of the response body
    error: str | None


class DeliveryOut(WireModel):
    id: str  # the webhook-id header: the same on every attempt and on redelivery
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None  # only while pending
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime


class DeliveryDetailOut(DeliveryOut):
    data: dict[str, Any]
    log: list[AttemptOut]


class CamelAttemptOut(AttemptOut):
    model_config = CamelWireModel.model_config


class CamelDeliveryOut(DeliveryOut):
    model_config = CamelWireModel.model_config


class CamelDeliveryDetailOut(DeliveryDetailOut):
    model_config = CamelWireModel.model_config
    log: list[CamelAttemptOut]  # type: ignore[assignment]


def delivery_fields(message: WebhookMessage) -> dict[str, Any]:
    return {
        "id": message.public_id,
        "event": message.event_name,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at if message.status == PENDING else None,
        "delivered_at": message.delivered_at,
        "last_status_code": message.last_status_code,
        "last_error": message.last_error,
        "created_at": message.enqueued_at,
    }


def attempt_fields(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempted_at": attempt.attempted_at,
        "url": attempt.url,
        "outcome": attempt.outcome,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "response_excerpt": attempt.response_excerpt,
        "error": attempt.error,
    }


async def delivery_detail(
    session: AsyncSession, subscription: WebhookSubscription, message_id: str
) -> dict[str, Any]:
    message = await service.get_delivery(session, subscription, message_id)
    log = [attempt_fields(attempt) for attempt in await service.attempts_of(session, message)]
    return {**delivery_fields(message), "data": message.data, "log": log}
