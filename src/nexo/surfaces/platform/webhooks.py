"""The panel's outgoing webhooks (spec "Webhooks") over the shared engine (docs/webhooks.md).

    POST   /platform/webhooks                  {url, events, secret?, description?} → 201, pending
    POST   /platform/webhooks/{id}/verify      202: send a new verification challenge
    GET    /platform/webhooks                  {data, meta}
    GET    /platform/webhooks/events           tenant.*, ticket.*, lead.*, conversation.*, webhook.disabled
    GET    /platform/webhooks/{id}
    PATCH  /platform/webhooks/{id}             {url?, events?, description?, active?}; a changed URL
                                               or a re-enabled webhook is verified again
    DELETE /platform/webhooks/{id}             204
    GET    /platform/webhooks/{id}/deliveries  delivery log (the handshake included), `?status=`
    GET    /platform/webhooks/{id}/deliveries/{deliveryId}              with its attempts
    POST   /platform/webhooks/{id}/deliveries/{deliveryId}/redeliver    202, same webhook-id
    POST   /platform/webhooks/{id}/rotate-secret   {secret?, overlapHours?} → the new secret, once

A new webhook receives a `webhook.verification` event whose `data.challenge` the endpoint must echo
(as the body, or `{"challenge": …}`); only then does it turn ACTIVE. Outside development and tests
the URL must be HTTPS. Bodies are `{event, timestamp, data, signature}` as the spec shows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Response
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import CamelStrictBody, CamelWireModel
from nexo.core.pagination import PageParams, camel_meta, page_params
from nexo.surfaces import webhook_routes as routes
from nexo.surfaces.base import surface_router
from nexo.surfaces.webhook_wire import (
    CamelDeliveryDetailOut,
    CamelDeliveryOut,
    DeliveryId,
    StatusFilter,
    delivery_detail,
)
from nexo.webhooks import service
from nexo.webhooks.models import WebhookSubscription

SURFACE = "platform"
Manager = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"webhooks.manage"}))]
Pages = Annotated[PageParams, Depends(page_params)]
FIELDS = service.Fields(overlap="overlapHours")

router = surface_router(prefix="/platform/webhooks", tags=["Webhooks"])


class WebhookIn(CamelStrictBody):
    url: str = Field(max_length=2048, examples=["https://hooks.example.com/nexo"])
    events: list[str] = Field(min_length=1, max_length=50, examples=[["tenant.*", "ticket.created"]])
    secret: str | None = Field(None, max_length=256, description="16+ characters; generated if omitted.")
    description: str | None = Field(None, max_length=500)


class WebhookPatch(CamelStrictBody):
    url: str | None = Field(None, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=500)
    active: bool | None = Field(None, description="false pauses it; true re-enables a disabled one.")


class WebhookOut(CamelWireModel):
    id: uuid.UUID
    url: str
    events: list[str]
    status: Literal["ACTIVE", "PENDING_VERIFICATION", "DISABLED"]
    status_reason: str | None
    description: str | None
    verified_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str  # shown here only


class WebhookList(CamelWireModel):
    data: list[WebhookOut]
    meta: dict[str, int]


class DeliveryList(CamelWireModel):
    data: list[CamelDeliveryOut]
    meta: dict[str, int]


class EventTypeOut(CamelWireModel):
    event: str
    description: str
    example: dict[str, Any]


class RotateIn(CamelStrictBody):
    secret: str | None = Field(None, max_length=256)
    overlap_hours: int = Field(24, ge=0, le=168, description="How long the old secret keeps signing too.")


class RotatedOut(CamelWireModel):
    secret: str
    previous_secret_expires_at: datetime | None


def render(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.public_id,
        "url": subscription.url,
        "events": subscription.events,
        "status": subscription.status.upper(),
        "status_reason": subscription.status_reason,
        "description": subscription.description,
        "verified_at": subscription.verified_at,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


async def _find(session: SessionDep, principal: Principal, webhook_id: uuid.UUID) -> WebhookSubscription:
    return await service.get_subscription(session, surface=SURFACE, owner=principal, public_id=webhook_id)


@router.post("", status_code=201, response_model=WebhookCreated, summary="Create a webhook (then verified)")
async def create_webhook(
    body: WebhookIn, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> dict[str, Any]:
    return await routes.create(
        session,
        settings=runtime.settings,
        surface=SURFACE,
        owner=principal,
        url=body.url,
        events=body.events,
        secret=body.secret,
        description=body.description,
        render=render,
        fields=FIELDS,
    )


@router.get("", response_model=WebhookList, summary="List webhooks")
async def list_webhooks(session: SessionDep, principal: Manager, pages: Pages) -> dict[str, Any]:
    page, rows = await routes.subscriptions_page(
        session, surface=SURFACE, owner=principal, pages=pages, render=render
    )
    return {"data": rows, "meta": camel_meta(page)}


@router.get("/events", response_model=list[EventTypeOut], summary="Available events")
async def list_events(principal: Manager) -> list[dict[str, Any]]:
    return routes.event_catalog(SURFACE, name="event", description="description", example="example")


@router.get("/{webhook_id}", response_model=WebhookOut, summary="Get a webhook")
async def get_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Manager) -> dict[str, Any]:
    return render(await _find(session, principal, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change, pause or re-enable a webhook")
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookPatch, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return await routes.update(
        session,
        subscription,
        settings=runtime.settings,
        owner=principal,
        changes=routes.WebhookChanges(**body.model_dump(exclude_unset=True)),
        render=render,
        fields=FIELDS,
    )


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    return await routes.delete(session, await _find(session, principal, webhook_id), owner=principal)


@router.post(
    "/{webhook_id}/verify", status_code=202, response_model=WebhookOut, summary="Send a new challenge"
)
async def verify_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Manager) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    await service.restart_verification(session, subscription, owner=principal)
    return render(subscription)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, summary="Delivery log")
async def list_deliveries(
    webhook_id: uuid.UUID, session: SessionDep, principal: Manager, pages: Pages, status: StatusFilter = None
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    page, rows = await routes.deliveries_page(session, subscription, pages=pages, status=status)
    return {"data": rows, "meta": camel_meta(page)}


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}", response_model=CamelDeliveryDetailOut, summary="One delivery"
)
async def get_delivery(
    webhook_id: uuid.UUID, delivery_id: DeliveryId, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    return await delivery_detail(session, await _find(session, principal, webhook_id), delivery_id)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=CamelDeliveryOut,
    summary="Send a delivery again (same webhook-id)",
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: DeliveryId, session: SessionDep, principal: Manager
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return await routes.redeliver(session, subscription, delivery_id, owner=principal)


@router.post("/{webhook_id}/rotate-secret", response_model=RotatedOut, summary="Rotate the signing secret")
async def rotate_secret(
    webhook_id: uuid.UUID, body: RotateIn, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> dict[str, Any]:
    secret, old_expires = await routes.rotate(
        session,
        await _find(session, principal, webhook_id),
        settings=runtime.settings,
        owner=principal,
        secret=body.secret,
        overlap_hours=body.overlap_hours,
        fields=FIELDS,
    )
    return {"secret": secret, "previous_secret_expires_at": old_expires}
