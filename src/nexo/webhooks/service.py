"""Managing webhook subscriptions: the rules every surface's endpoints share.

Surfaces only translate their wire shapes; creating, checking, rotating and redelivering live here.
Sessions come from the request, already scoped to the caller's tenant, so lookups never name a
tenant — except a platform owner's, whose session sees every tenant and who owns the subscriptions
that belong to none.
"""

from __future__ import annotations

import ipaddress
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import Conflict, ErrorDetail, Forbidden, NotFound, ValidationFailed
from nexo.core.jobs import clock
from nexo.core.jobs.queue import enqueue
from nexo.core.pagination import Page, PageParams, paginate
from nexo.core.settings import Settings
from nexo.webhooks.catalog import catalog
from nexo.webhooks.fanout import DELIVER_KIND, delivery_key
from nexo.webhooks.filters import validate_patterns
from nexo.webhooks.formats import format_for
from nexo.webhooks.models import (
    ACTIVE,
    DEAD,
    DELIVERED,
    DISABLED,
    MAX_URL_LENGTH,
    PENDING,
    WebhookAttempt,
    WebhookMessage,
    WebhookSubscription,
)
from nexo.webhooks.sending import box_for
from nexo.webhooks.signing import SECRET_PREFIX, new_webhook_secret, standard_headers
from nexo.webhooks.ssrf import InvalidWebhookURL, address_problem, validate_webhook_url
from nexo.webhooks.verification import start_verification

MIN_SECRET_LENGTH, MAX_SECRET_LENGTH = 16, 256
MAX_PATTERNS = 50
_MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns on PostgreSQL
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)
ENTITY = "webhook_subscription"
_Row = TypeVar("_Row", bound=tuple[Any, ...])


@dataclass(frozen=True, slots=True)
class Fields:
    """The request's own names for the fields, so error details point at what the client sent."""

    url: str = "url"
    events: str = "events"
    secret: str = "secret"  # noqa: S105 - a field name
    overlap: str = "overlap_hours"


DEFAULT_FIELDS = Fields()


@dataclass(frozen=True, slots=True)
class Created:
    subscription: WebhookSubscription
    secret: str  # shown to the subscriber once, in the creation response


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[ErrorDetail(field, message)])


# Checks --------------------------------------------------------------------------------------


def check_url(url: str, *, surface: str, settings: Settings, field: str = "url") -> str:
    """Syntax, scheme, length, and literal internal addresses; names are checked at delivery."""
    https_only = surface == "platform" and settings.env == "production"
    try:
        cleaned = validate_webhook_url(url, require_https=https_only)
    except InvalidWebhookURL as exc:
        raise _invalid(field, str(exc)) from None
    if len(cleaned) > MAX_URL_LENGTH:
        raise _invalid(field, f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
    try:
        literal = ipaddress.ip_address(urlsplit(cleaned).hostname or "")
    except ValueError:
        return cleaned
    problem = address_problem(literal, allow_private=settings.webhooks_may_reach_private())
    if problem is not None:
        raise _invalid(field, f"webhooks cannot be delivered there: {problem}")
    return cleaned


def check_events(patterns: Sequence[str], *, surface: str, field: str = "events") -> list[str]:
    """Well-formed patterns that each select at least one event of the surface's catalog."""
    cleaned = list(dict.fromkeys(unicodedata.normalize("NFC", p.strip()) for p in patterns))
    if len(cleaned) > MAX_PATTERNS:
        raise _invalid(field, f"at most {MAX_PATTERNS} event patterns")
    problems = validate_patterns(cleaned, catalog(surface))
    if problems:
        raise ValidationFailed(
            f"{field}: {problems[0]}", details=[ErrorDetail(field, problem) for problem in problems]
        )
    return cleaned


def check_secret(secret: str | None, *, field: str = "secret") -> str:
    """A subscriber's own secret (16-256 visible characters, or a `whsec_` secret), or a new one."""
    if secret is None:
        return new_webhook_secret()
    if secret.startswith(SECRET_PREFIX):
        try:
            standard_headers(secrets=[secret], msg_id="msg_check", timestamp=0, body=b"")
        except ValueError:
            raise _invalid(field, "a whsec_ secret must be 'whsec_' followed by base64") from None
        return secret
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise _invalid(field, f"the secret must be {MIN_SECRET_LENGTH}-{MAX_SECRET_LENGTH} characters long")
    if any(ch.isspace() or not ch.isprintable() for ch in secret):
        raise _invalid(field, "the secret must not contain spaces or control characters")
    return secret


def _tenant_of(owner: Principal, surface: str) -> int | None:
    if owner.tenant_id is None and surface != "platform":
        raise Forbidden("Webhooks on this API belong to a tenant; sign in as one of its users.")
    return owner.tenant_id


def _audit(
    session: AsyncSession, owner: Principal, action: str, subscription: WebhookSubscription, **changes: Any
) -> None:
    actor_type, actor_id = owner.audit_actor()
    record = record_audit(
        session,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=ENTITY,
        entity_id=str(subscription.public_id),
        changes=changes or None,
    )
    record.tenant_id = subscription.tenant_id


# Subscriptions -------------------------------------------------------------------------------


async def create_subscription(
    session: AsyncSession,
    *,
    settings: Settings,
    surface: str,
    owner: Principal,
    url: str,
    events: Sequence[str],
    secret: str | None = None,
    description: str | None = None,
    fields: Fields = DEFAULT_FIELDS,
) -> Created:
    tenant_id = _tenant_of(owner, surface)
    plain = check_secret(secret, field=fields.secret)
    subscription = WebhookSubscription(
        tenant_id=tenant_id,
        surface=surface,
        url=check_url(url, surface=surface, settings=settings, field=fields.url),
        events=check_events(events, surface=surface, field=fields.events),
        description=description,
        secret_encrypted=box_for(settings).encrypt(plain),
        status=ACTIVE,
        created_by=owner.id,
    )
    session.add(subscription)
    await session.flush()
    if format_for(surface).needs_verification:
        await start_verification(session, subscription)
    changes = diff_changes(
        {}, {"url": subscription.url, "events": subscription.events, "status": subscription.status}
    )
    _audit(session, owner, "webhook.create", subscription, **changes)
    return Created(subscription, plain)


def _owned(statement: Select[_Row], owner: Principal) -> Select[_Row]:
    if owner.tenant_id is None:  # a platform owner's own subscriptions are the tenant-less ones
        return statement.where(WebhookSubscription.tenant_id.is_(None))
    return statement  # the session's tenant scope does the rest


async def list_subscriptions(
    session: AsyncSession, *, surface: str, owner: Principal, params: PageParams
) -> Page[Any]:
    _tenant_of(owner, surface)
    statement = select(WebhookSubscription).where(WebhookSubscription.surface == surface)
    return await paginate(session, _owned(statement, owner).order_by(WebhookSubscription.id), params)


async def get_subscription(
    session: AsyncSession,
    *,
    surface: str,
    owner: Principal,
    id: int | None = None,
    public_id: uuid.UUID | None = None,
) -> WebhookSubscription:
    """The caller's subscription on this surface, by internal or public id; 404 for anyone else's."""
    _tenant_of(owner, surface)
    statement = select(WebhookSubscription).where(WebhookSubscription.surface == surface)
    if id is not None:
        if not 0 < id <= _MAX_ID:  # a path id no INTEGER column can hold names nothing (not a 500)
            raise NotFound("No such webhook.")
        statement = statement.where(WebhookSubscription.id == id)
    elif public_id is not None:
        statement = statement.where(WebhookSubscription.public_id == public_id)
    else:
        raise NotFound("No such webhook.")
    found = await session.scalar(_owned(statement, owner))
    if found is None:
        raise NotFound("No such webhook.")
    return found


async def update_subscription(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    settings: Settings,
    owner: Principal,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    fields: Fields = DEFAULT_FIELDS,
) -> WebhookSubscription:
    before = {"url": subscription.url, "events": subscription.events, "status": subscription.status}
    if url is not None:
        subscription.url = check_url(url, surface=subscription.surface, settings=settings, field=fields.url)
    if events is not None:
        subscription.events = check_events(events, surface=subscription.surface, field=fields.events)
    if description is not None:
        subscription.description = description
    if active is False and subscription.status != DISABLED:
        subscription.status, subscription.disabled_at = DISABLED, clock.now()
        subscription.status_reason = "disabled by its owner"
    elif active is True and subscription.status == DISABLED:
        _reactivate(subscription)
    must_prove = subscription.url != before["url"] or before["status"] == DISABLED  # new or revived URL
    if format_for(subscription.surface).needs_verification and subscription.status != DISABLED and must_prove:
        await start_verification(session, subscription)  # a new URL has to prove itself again
    elif subscription.status == ACTIVE:
        await _kick(session, subscription)
    after = {"url": subscription.url, "events": subscription.events, "status": subscription.status}
    _audit(session, owner, "webhook.update", subscription, **diff_changes(before, after))
    return subscription


def _reactivate(subscription: WebhookSubscription) -> None:
    subscription.status, subscription.status_reason = ACTIVE, None
    subscription.disabled_at = subscription.failing_since = None


async def _kick(session: AsyncSession, subscription: WebhookSubscription) -> None:
    """Make sure a delivery run will look at the subscription's queue."""
    await enqueue(
        session, DELIVER_KIND, {"subscription_id": subscription.id}, dedupe_key=delivery_key(subscription.id)
    )


async def delete_subscription(
    session: AsyncSession, subscription: WebhookSubscription, *, owner: Principal
) -> None:
    """Delete it with its queue and log; an in-flight delivery run finds it gone and stops."""
    _audit(session, owner, "webhook.delete", subscription, url={"from": subscription.url, "to": None})
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    settings: Settings,
    owner: Principal,
    secret: str | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    fields: Fields = DEFAULT_FIELDS,
) -> str:
    """Switch to a new secret; the old one keeps signing too until `overlap` has passed."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise _invalid(fields.overlap, f"the overlap must be between 0 and {MAX_OVERLAP.days * 24} hours")
    plain = check_secret(secret, field=fields.secret)
    box = box_for(settings)
    if overlap:
        subscription.previous_secret_encrypted = subscription.secret_encrypted
        subscription.previous_secret_expires_at = clock.now() + overlap
    else:
        subscription.previous_secret_encrypted = subscription.previous_secret_expires_at = None
    subscription.secret_encrypted = box.encrypt(plain)
    hours = {"from": None, "to": overlap.total_seconds() / 3600}
    _audit(session, owner, "webhook.rotate_secret", subscription, overlap_hours=hours)
    return plain


async def restart_verification(
    session: AsyncSession, subscription: WebhookSubscription, *, owner: Principal
) -> None:
    """Send a new verification challenge (platform subscriptions that are not active yet)."""
    if not format_for(subscription.surface).needs_verification:
        raise Conflict("This webhook needs no verification.")
    if subscription.status == ACTIVE:
        raise Conflict("This webhook is already verified and active.")
    await start_verification(session, subscription)
    _audit(session, owner, "webhook.verify", subscription)


# Deliveries ----------------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession, subscription: WebhookSubscription, *, params: PageParams, status: str | None = None
) -> Page[Any]:
    """The subscription's messages, newest first."""
    statement = select(WebhookMessage).where(WebhookMessage.subscription_id == subscription.id)
    if status is not None:
        statement = statement.where(WebhookMessage.status == status)
    return await paginate(session, statement.order_by(WebhookMessage.id.desc()), params)


async def get_delivery(
    session: AsyncSession, subscription: WebhookSubscription, message_id: str
) -> WebhookMessage:
    found = await session.scalar(
        select(WebhookMessage).where(
            WebhookMessage.subscription_id == subscription.id, WebhookMessage.public_id == message_id
        )
    )
    if found is None:
        raise NotFound("No such delivery for this webhook.")
    return found


async def attempts_of(session: AsyncSession, message: WebhookMessage) -> list[WebhookAttempt]:
    statement = (
        select(WebhookAttempt).where(WebhookAttempt.message_id == message.id).order_by(WebhookAttempt.id)
    )
    return list((await session.scalars(statement)).all())


async def redeliver(
    session: AsyncSession, subscription: WebhookSubscription, message: WebhookMessage, *, owner: Principal
) -> WebhookMessage:
    """Send a message again, with the same `webhook-id`.

    A delivered or dead message rejoins the end of the queue with a fresh retry schedule; a pending
    one keeps its place and is tried now.
    """
    if subscription.status != ACTIVE:
        raise Conflict(f"The webhook is {subscription.status}; activate it before redelivering.")
    now = clock.now()
    if message.status in (DELIVERED, DEAD):
        message.status, message.attempts, message.enqueued_at = PENDING, 0, now
    message.next_attempt_at = now
    await _kick(session, subscription)
    _audit(session, owner, "webhook.redeliver", subscription, message={"from": None, "to": message.public_id})
    return message
