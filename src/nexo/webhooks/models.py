"""Webhook subscriptions, the messages queued for them, and the log of every delivery attempt.

A message is one event for one subscription. Its `public_id` (`msg_…`) is the `webhook-id` header:
the same on every attempt and on manual redelivery, so receivers can drop duplicates. A
subscription's pending messages go out one at a time in (`enqueued_at`, `id`) order; the next waits
until the current one is delivered or dead, which is what keeps delivery order.

Subscriptions usually belong to a tenant. The platform owner's own subscriptions (on the platform
surface) belong to none and receive the platform events of every tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.jobs.models import BIG_ID
from nexo.core.tenancy import TenantOwned
from nexo.webhooks import catalog as _catalog  # noqa: F401 - registers the outbox's name check

ACTIVE, PENDING_VERIFICATION, DISABLED = "active", "pending_verification", "disabled"
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
MAX_URL_LENGTH = 2048


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class _OptionalTenant(TenantOwned):
    __tenant_optional__ = True
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )


class WebhookSubscription(_OptionalTenant, Timestamped, Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_surface_status", "surface", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid(), default=uuid.uuid4, unique=True)
    surface: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)  # patterns, wildcards allowed
    description: Mapped[str | None] = mapped_column(String(500))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24), default=ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # start of the failure streak
    verification_challenge: Mapped[str | None] = mapped_column(String(100))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(100))


class WebhookMessage(_OptionalTenant, Base):
    __tablename__ = "webhook_messages"
    __table_args__ = (
        Index("ix_webhook_messages_queue", "subscription_id", "status", "enqueued_at", "id"),
        Index("ix_webhook_messages_log", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_message_id)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the outbox row; may be pruned first
    event_name: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookAttempt(_OptionalTenant, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    message_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # at most 2 KB of the response body
    error: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))  # success | failure | gone | refused
