"""CobranzaCloud's webhooks (spec §10) over the shared engine (docs/webhooks.md).

    POST   /webhooks                          {url, eventos, secret} → 201 (secret shown once)
    GET    /webhooks                          {data, meta}
    GET    /webhooks/eventos                  the §10.2 events, plus `webhook.deshabilitado`
    GET    /webhooks/{id}
    PATCH  /webhooks/{id}                     {url?, eventos?, descripcion?, activo?}; activo re-enables
    DELETE /webhooks/{id}                     204
    GET    /webhooks/{id}/entregas            delivery log, newest first, `?status=`
    GET    /webhooks/{id}/entregas/{entregaId}            with its attempts
    POST   /webhooks/{id}/entregas/{entregaId}/reenviar   202, same webhook-id
    POST   /webhooks/{id}/rotar-secreto       {secret?, horasSolapamiento?} → the new secret, once

camelCase, UUID ids, validation errors answer 400 like the rest of this API. Reads need
`webhooks:read`, changes `webhooks:write` (organization owners and admins have both).
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

SURFACE = "collections"
Reader = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={"webhooks:read"}, kinds={"user"}))
]
Writer = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={"webhooks:write"}, kinds={"user"}))
]
Pages = Annotated[PageParams, Depends(page_params)]
FIELDS = service.Fields(events="eventos", overlap="horasSolapamiento")

router = surface_router(prefix="/webhooks", tags=["Webhooks"])


class WebhookIn(CamelStrictBody):
    url: str = Field(max_length=2048, examples=["https://mi-sistema.com/webhook"])
    eventos: list[str] = Field(
        min_length=1, max_length=50, examples=[["cliente.vencido", "sync.completado", "pago.registrado"]]
    )
    secret: str | None = Field(None, max_length=256, description="16+ caracteres; si falta se genera uno.")
    descripcion: str | None = Field(None, max_length=500)


class WebhookPatch(CamelStrictBody):
    url: str | None = Field(None, max_length=2048)
    eventos: list[str] | None = Field(None, min_length=1, max_length=50)
    descripcion: str | None = Field(None, max_length=500)
    activo: bool | None = Field(None, description="false lo pausa; true reactiva uno deshabilitado.")


class WebhookOut(CamelWireModel):
    id: uuid.UUID
    url: str
    eventos: list[str]
    status: Literal["active", "pending_verification", "disabled"]
    status_reason: str | None
    descripcion: str | None
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


class EventoOut(CamelWireModel):
    evento: str
    descripcion: str
    ejemplo: dict[str, Any]


class RotarIn(CamelStrictBody):
    secret: str | None = Field(None, max_length=256)
    horas_solapamiento: int = Field(
        24, ge=0, le=168, description="Horas en que el secreto anterior sigue firmando."
    )


class RotadoOut(CamelWireModel):
    secret: str
    previous_secret_expires_at: datetime | None


def render(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.public_id,
        "url": subscription.url,
        "eventos": subscription.events,
        "status": subscription.status,
        "status_reason": subscription.status_reason,
        "descripcion": subscription.description,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


async def _find(session: SessionDep, principal: Principal, webhook_id: uuid.UUID) -> WebhookSubscription:
    return await service.get_subscription(session, surface=SURFACE, owner=principal, public_id=webhook_id)


@router.post("", status_code=201, response_model=WebhookCreated, summary="Configurar webhook")
async def configurar(
    body: WebhookIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    return await routes.create(
        session,
        settings=runtime.settings,
        surface=SURFACE,
        owner=principal,
        url=body.url,
        events=body.eventos,
        secret=body.secret,
        description=body.descripcion,
        render=render,
        fields=FIELDS,
    )


@router.get("", response_model=WebhookList, summary="Listar webhooks")
async def listar(session: SessionDep, principal: Reader, pages: Pages) -> dict[str, Any]:
    page, rows = await routes.subscriptions_page(
        session, surface=SURFACE, owner=principal, pages=pages, render=render
    )
    return {"data": rows, "meta": camel_meta(page)}


@router.get("/eventos", response_model=list[EventoOut], summary="Eventos disponibles (§10.2)")
async def eventos(principal: Reader) -> list[dict[str, Any]]:
    return routes.event_catalog(SURFACE, name="evento", description="descripcion", example="ejemplo")


@router.get("/{webhook_id}", response_model=WebhookOut, summary="Obtener webhook")
async def obtener(webhook_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return render(await _find(session, principal, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Cambiar, pausar o reactivar un webhook")
async def actualizar(
    webhook_id: uuid.UUID, body: WebhookPatch, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    changes = routes.WebhookChanges(
        url=body.url, events=body.eventos, description=body.descripcion, active=body.activo
    )
    return await routes.update(
        session,
        await _find(session, principal, webhook_id),
        settings=runtime.settings,
        owner=principal,
        changes=changes,
        render=render,
        fields=FIELDS,
    )


@router.delete("/{webhook_id}", status_code=204, summary="Eliminar webhook")
async def eliminar(webhook_id: uuid.UUID, session: SessionDep, principal: Writer) -> Response:
    return await routes.delete(session, await _find(session, principal, webhook_id), owner=principal)


@router.get("/{webhook_id}/entregas", response_model=DeliveryList, summary="Bitácora de entregas")
async def entregas(
    webhook_id: uuid.UUID, session: SessionDep, principal: Reader, pages: Pages, status: StatusFilter = None
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    page, rows = await routes.deliveries_page(session, subscription, pages=pages, status=status)
    return {"data": rows, "meta": camel_meta(page)}


@router.get(
    "/{webhook_id}/entregas/{entrega_id}", response_model=CamelDeliveryDetailOut, summary="Una entrega"
)
async def entrega(
    webhook_id: uuid.UUID, entrega_id: DeliveryId, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    return await delivery_detail(session, await _find(session, principal, webhook_id), entrega_id)


@router.post(
    "/{webhook_id}/entregas/{entrega_id}/reenviar",
    status_code=202,
    response_model=CamelDeliveryOut,
    summary="Reenviar una entrega (mismo webhook-id)",
)
async def reenviar(
    webhook_id: uuid.UUID, entrega_id: DeliveryId, session: SessionDep, principal: Writer
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return await routes.redeliver(session, subscription, entrega_id, owner=principal)


@router.post("/{webhook_id}/rotar-secreto", response_model=RotadoOut, summary="Rotar el secreto de firma")
async def rotar_secreto(
    webhook_id: uuid.UUID, body: RotarIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    secret, old_expires = await routes.rotate(
        session,
        await _find(session, principal, webhook_id),
        settings=runtime.settings,
        owner=principal,
        secret=body.secret,
        overlap_hours=body.horas_solapamiento,
        fields=FIELDS,
    )
    return {"secret": secret, "previous_secret_expires_at": old_expires}
