"""The tasks spec's webhooks over the shared engine (docs/webhooks.md).

    POST   /webhooks                        {url, events, secret} → 201 {id: "wh_…", …}
    GET    /webhooks                        {data, pagination}
    GET    /webhooks/events                 the events a subscription can ask for
    GET    /webhooks/{id}
    PATCH  /webhooks/{id}                   {url?, events?, description?, active?}; active re-enables
    DELETE /webhooks/{id}                   204
    GET    /webhooks/{id}/deliveries        newest first, `?status=pending|delivered|dead`
    GET    /webhooks/{id}/deliveries/{delivery_id}             with its attempt log
    POST   /webhooks/{id}/deliveries/{delivery_id}/redeliver   202, same webhook-id
    POST   /webhooks/{id}/rotate-secret     {secret?, overlap_hours?} → the new secret, once

Every delivery carries `X-Reten-Signature: sha256=<hex>` (the spec's `verify_signature`) and the
Standard Webhooks headers. Reads need `tasks:read`, changes `tasks:write`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Response
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.errors import NotFound
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.core.pagination import PageParams, page_params, tasks_pagination
from nexo.surfaces import webhook_routes as routes
from nexo.surfaces.base import surface_router
from nexo.surfaces.webhook_wire import (
    DeliveryDetailOut,
    DeliveryId,
    DeliveryOut,
    StatusFilter,
    delivery_detail,
)
from nexo.webhooks import service
from nexo.webhooks.formats import TASKS_ID_PREFIX, parse_tasks_id
from nexo.webhooks.models import WebhookSubscription

SURFACE = "tasks"
Reader = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks:read"}))]
Writer = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks:write"}))]
Pages = Annotated[PageParams, Depends(page_params)]
WebhookId = Annotated[str, Path(min_length=1, max_length=64, description="`wh_…`")]

router = surface_router(prefix="/webhooks", tags=["webhooks"])


class WebhookIn(StrictBody):
    url: str = Field(max_length=2048, examples=["https://tu-sistema.com/webhooks/tasks"])
    events: list[str] = Field(min_length=1, max_length=50, examples=[["task.created", "task.completed"]])
    secret: str | None = Field(
        None, max_length=256, description="16+ characters; one is generated (and shown once) if omitted."
    )
    description: str | None = Field(None, max_length=500)


class WebhookPatch(StrictBody):
    url: str | None = Field(None, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=500)
    active: bool | None = Field(None, description="false pauses it; true re-enables a disabled one.")


class WebhookOut(WireModel):
    id: str
    url: str
    events: list[str]
    status: Literal["active", "pending_verification", "disabled"]
    status_reason: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str  # shown here only


class WebhookList(WireModel):
    data: list[WebhookOut]
    pagination: dict[str, int]


class DeliveryList(WireModel):
    data: list[DeliveryOut]
    pagination: dict[str, int]


class RotateIn(StrictBody):
    secret: str | None = Field(None, max_length=256)
    overlap_hours: int = Field(24, ge=0, le=168, description="How long the old secret keeps signing too.")


class RotatedOut(WireModel):
    secret: str
    previous_secret_expires_at: datetime | None


class EventTypeOut(WireModel):
    name: str
    description: str
    example: dict[str, Any]


def render(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": f"{TASKS_ID_PREFIX}{subscription.public_id.hex}",
        "url": subscription.url,
        "events": subscription.events,
        "status": subscription.status,
        "status_reason": subscription.status_reason,
        "description": subscription.description,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


async def _find(session: SessionDep, principal: Principal, webhook_id: str) -> WebhookSubscription:
    public_id = parse_tasks_id(webhook_id)
    if public_id is None:
        raise NotFound("No such webhook.")
    return await service.get_subscription(session, surface=SURFACE, owner=principal, public_id=public_id)


@router.post("", status_code=201, response_model=WebhookCreated, summary="Configurar webhook")
async def create_webhook(
    body: WebhookIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
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
    )


@router.get("", response_model=WebhookList, summary="List webhooks")
async def list_webhooks(session: SessionDep, principal: Reader, pages: Pages) -> dict[str, Any]:
    page, rows = await routes.subscriptions_page(
        session, surface=SURFACE, owner=principal, pages=pages, render=render
    )
    return {"data": rows, "pagination": tasks_pagination(page)}


@router.get("/events", response_model=list[EventTypeOut], summary="Events a webhook can receive")
async def list_events(principal: Reader) -> list[dict[str, Any]]:
    return routes.event_catalog(SURFACE, name="name", description="description", example="example")


@router.get("/{webhook_id}", response_model=WebhookOut, summary="Get a webhook")
async def get_webhook(webhook_id: WebhookId, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return render(await _find(session, principal, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change, pause or re-enable a webhook")
async def update_webhook(
    webhook_id: WebhookId, body: WebhookPatch, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return await routes.update(
        session,
        subscription,
        settings=runtime.settings,
        owner=principal,
        changes=routes.WebhookChanges(**body.model_dump(exclude_unset=True)),
        render=render,
    )


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
async def delete_webhook(webhook_id: WebhookId, session: SessionDep, principal: Writer) -> Response:
    return await routes.delete(session, await _find(session, principal, webhook_id), owner=principal)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, summary="Delivery log")
async def list_deliveries(
    webhook_id: WebhookId,
    session: SessionDep,
    principal: Reader,
    pages: Pages,
    status: StatusFilter = None,
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    page, rows = await routes.deliveries_page(session, subscription, pages=pages, status=status)
    return {"data": rows, "pagination": tasks_pagination(page)}


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetailOut, summary="One delivery"
)
async def get_delivery(
    webhook_id: WebhookId, session: SessionDep, principal: Reader, delivery_id: DeliveryId
) -> dict[str, Any]:
    return await delivery_detail(session, await _find(session, principal, webhook_id), delivery_id)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again (same webhook-id)",
)
async def redeliver(
    webhook_id: WebhookId, session: SessionDep, principal: Writer, delivery_id: DeliveryId
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return await routes.redeliver(session, subscription, delivery_id, owner=principal)


@router.post("/{webhook_id}/rotate-secret", response_model=RotatedOut, summary="Rotate the signing secret")
async def rotate_secret(
    webhook_id: WebhookId, body: RotateIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    secret, old_expires = await routes.rotate(
        session,
        await _find(session, principal, webhook_id),
        settings=runtime.settings,
        owner=principal,
        secret=body.secret,
        overlap_hours=body.overlap_hours,
    )
    return {"secret": secret, "previous_secret_expires_at": old_expires}
