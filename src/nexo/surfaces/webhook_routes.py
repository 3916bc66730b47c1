"""The handler bodies the four webhook routers share, wire-shape neutral.

Each surface keeps its own routes, names, permissions and envelopes (media wraps in `{"data"}`,
tasks says `pagination`, collections and platform camelCase the keys); what they do between
parsing the request and shaping the answer is the same, and lives here. The rules themselves stay
in `nexo.webhooks.service`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Response
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.pagination import Page, PageParams
from nexo.core.settings import Settings
from nexo.surfaces.webhook_wire import delivery_fields
from nexo.webhooks import service
from nexo.webhooks.catalog import catalog
from nexo.webhooks.models import WebhookSubscription

Render = Callable[[WebhookSubscription], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class WebhookChanges:
    """What an update asks for, in neutral names; None leaves a field as it is."""

    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    active: bool | None = None


async def create(
    session: AsyncSession,
    *,
    settings: Settings,
    surface: str,
    owner: Principal,
    url: str,
    events: Sequence[str],
    secret: str | None,
    description: str | None,
    render: Render,
    fields: service.Fields = service.DEFAULT_FIELDS,
) -> dict[str, Any]:
    """The new subscription, rendered by the surface, with its secret (the only time it is shown)."""
    result = await service.create_subscription(
        session,
        settings=settings,
        surface=surface,
        owner=owner,
        url=url,
        events=events,
        secret=secret,
        description=description,
        fields=fields,
    )
    return {**render(result.subscription), "secret": result.secret}


async def subscriptions_page(
    session: AsyncSession, *, surface: str, owner: Principal, pages: PageParams, render: Render
) -> tuple[Page[Any], list[dict[str, Any]]]:
    """One page of the owner's subscriptions and its rendered rows; the surface adds its meta."""
    page = await service.list_subscriptions(session, surface=surface, owner=owner, params=pages)
    return page, [render(row) for row in page.items]


def event_catalog(surface: str, *, name: str, description: str, example: str) -> list[dict[str, Any]]:
    """The events a subscription can ask for, under the surface's own key names."""
    return [
        {name: item.name, description: item.description, example: dict(item.example)}
        for item in catalog(surface).values()
    ]


async def update(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    settings: Settings,
    owner: Principal,
    changes: WebhookChanges,
    render: Render,
    fields: service.Fields = service.DEFAULT_FIELDS,
) -> dict[str, Any]:
    """Change what was sent (only the fields present) and answer with the subscription. `active`
    false pauses it; true re-enables one that was disabled (by its owner, a 410 or five days of
    failures): messages still pending are sent again, in order; events that happened while it was
    disabled were not queued for it."""
    updated = await service.update_subscription(
        session,
        subscription,
        settings=settings,
        owner=owner,
        url=changes.url,
        events=changes.events,
        description=changes.description,
        active=changes.active,
        fields=fields,
    )
    return render(updated)


async def delete(session: AsyncSession, subscription: WebhookSubscription, *, owner: Principal) -> Response:
    await service.delete_subscription(session, subscription, owner=owner)
    return Response(status_code=204)


async def deliveries_page(
    session: AsyncSession, subscription: WebhookSubscription, *, pages: PageParams, status: str | None
) -> tuple[Page[Any], list[dict[str, Any]]]:
    """One page of the delivery log, newest first, and its rows; the surface adds its meta."""
    page = await service.list_deliveries(session, subscription, params=pages, status=status)
    return page, [delivery_fields(row) for row in page.items]


async def redeliver(
    session: AsyncSession, subscription: WebhookSubscription, delivery_id: str, *, owner: Principal
) -> dict[str, Any]:
    """Send one delivery again (same webhook-id) and answer with its fields."""
    message = await service.get_delivery(session, subscription, delivery_id)
    return delivery_fields(await service.redeliver(session, subscription, message, owner=owner))


async def rotate(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    settings: Settings,
    owner: Principal,
    secret: str | None,
    overlap_hours: int,
    fields: service.Fields = service.DEFAULT_FIELDS,
) -> tuple[str, datetime | None]:
    """The new secret (shown once) and when the previous one stops signing."""
    plain = await service.rotate_secret(
        session,
        subscription,
        settings=settings,
        owner=owner,
        secret=secret,
        overlap=timedelta(hours=overlap_hours),
        fields=fields,
    )
    return plain, subscription.previous_secret_expires_at
