"""PautaPro's webhooks (spec "CONFIGURACIÓN WEBHOOKS") over the shared engine (docs/webhooks.md).

    POST   /webhooks/registrar                 {url, eventos, secret?, descripcion?} → 201
    GET    /webhooks                           {data, meta}
    GET    /webhooks/eventos                   the events a webhook can ask for
    GET    /webhooks/{id}
    PUT    /webhooks/{id}                      {url?, eventos?, descripcion?, activo?}
    DELETE /webhooks/{id}                      204
    GET    /webhooks/{id}/entregas             delivery log, newest first, `?status=`
    GET    /webhooks/{id}/entregas/{entrega_id}            with its attempts
    POST   /webhooks/{id}/entregas/{entrega_id}/reenviar   202, same webhook-id
    POST   /webhooks/{id}/rotar-secreto        {secret?, horas_solapamiento?} → the new secret, once

Deliveries are `{"event", "timestamp", "data"}` as the spec shows, signed with the Standard Webhooks
headers. Reads need the `read:webhooks` scope, changes `write:webhooks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Response
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.core.pagination import PageParams, page_params
from nexo.surfaces import webhook_routes as routes
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.wire import Item, ListOf, created, page_of
from nexo.surfaces.webhook_wire import (
    DeliveryDetailOut,
    DeliveryId,
    DeliveryOut,
    StatusFilter,
    delivery_detail,
)
from nexo.webhooks import service
from nexo.webhooks.models import ACTIVE, DISABLED, WebhookSubscription

SURFACE = "media"
Reader = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"read:webhooks"}))]
Writer = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"write:webhooks"}))]
Pages = Annotated[PageParams, Depends(page_params)]
FIELDS = service.Fields(events="eventos", overlap="horas_solapamiento")
STATUS = {ACTIVE: "activo", DISABLED: "deshabilitado", "pending_verification": "pendiente_verificacion"}

router = surface_router(prefix="/webhooks", tags=["webhooks"])

Url = Annotated[str, Field(max_length=2048, examples=["https://erp.example.com/webhooks/pautapro"])]
Eventos = Annotated[list[str], Field(min_length=1, max_length=50, examples=[["orden.*", "campaña.creada"]])]


class WebhookIn(StrictBody):
    url: Url
    eventos: Eventos
    secret: str | None = Field(None, max_length=256, description="16+ caracteres; si falta se genera uno.")
    descripcion: str | None = Field(None, max_length=500)


class WebhookPut(StrictBody):
    url: Url | None = None
    eventos: Eventos | None = None
    descripcion: str | None = Field(None, max_length=500)
    activo: bool | None = Field(None, description="false lo pausa; true reactiva uno deshabilitado.")


class WebhookOut(WireModel):
    id: int
    url: str
    eventos: list[str]
    status: Literal["activo", "pendiente_verificacion", "deshabilitado"]
    motivo_status: str | None
    descripcion: str | None
    created_at: datetime
    updated_at: datetime


class WebhookRegistrado(WebhookOut):
    secret: str  # solo se muestra aquí


class EventoOut(WireModel):
    nombre: str
    descripcion: str
    ejemplo: dict[str, Any]


class RotarIn(StrictBody):
    secret: str | None = Field(None, max_length=256)
    horas_solapamiento: int = Field(
        24, ge=0, le=168, description="Horas en que el secreto anterior sigue firmando."
    )


class RotadoOut(WireModel):
    secret: str
    expira_secreto_anterior: datetime | None


def render(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "eventos": subscription.events,
        "status": STATUS[subscription.status],
        "motivo_status": subscription.status_reason,
        "descripcion": subscription.description,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


async def _find(session: SessionDep, principal: Principal, webhook_id: int) -> WebhookSubscription:
    return await service.get_subscription(session, surface=SURFACE, owner=principal, id=webhook_id)


@router.post(
    "/registrar", status_code=201, response_model=Item[WebhookRegistrado], summary="Registrar nuevo webhook"
)
async def registrar(
    body: WebhookIn, session: SessionDep, runtime: RuntimeDep, principal: Writer, response: Response
) -> dict[str, Any]:
    registered = await routes.create(
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
    created(f"webhooks/{registered['id']}", response)
    return {"data": registered}


@router.get("", response_model=ListOf[WebhookOut], summary="Listar webhooks configurados")
async def listar(session: SessionDep, principal: Reader, pages: Pages) -> dict[str, Any]:
    page, rows = await routes.subscriptions_page(
        session, surface=SURFACE, owner=principal, pages=pages, render=render
    )
    return page_of(page, rows)


@router.get("/eventos", response_model=Item[list[EventoOut]], summary="Eventos soportados")
async def eventos(principal: Reader) -> dict[str, Any]:
    return {
        "data": routes.event_catalog(SURFACE, name="nombre", description="descripcion", example="ejemplo")
    }


@router.get("/{webhook_id}", response_model=Item[WebhookOut], summary="Obtener webhook")
async def obtener(webhook_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return {"data": render(await _find(session, principal, webhook_id))}


@router.put("/{webhook_id}", response_model=Item[WebhookOut], summary="Actualizar webhook")
async def actualizar(
    webhook_id: int, body: WebhookPut, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> dict[str, Any]:
    subscription = await service.update_subscription(
        session,
        await _find(session, principal, webhook_id),
        settings=runtime.settings,
        owner=principal,
        url=body.url,
        events=body.eventos,
        description=body.descripcion,
        active=body.activo,
        fields=FIELDS,
    )
    return {"data": render(subscription)}


@router.delete("/{webhook_id}", status_code=204, summary="Eliminar webhook")
async def eliminar(webhook_id: int, session: SessionDep, principal: Writer) -> Response:
    return await routes.delete(session, await _find(session, principal, webhook_id), owner=principal)


@router.get("/{webhook_id}/entregas", response_model=ListOf[DeliveryOut], summary="Bitácora de entregas")
async def entregas(
    webhook_id: int, session: SessionDep, principal: Reader, pages: Pages, status: StatusFilter = None
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    page, rows = await routes.deliveries_page(session, subscription, pages=pages, status=status)
    return page_of(page, rows)


@router.get(
    "/{webhook_id}/entregas/{entrega_id}", response_model=Item[DeliveryDetailOut], summary="Una entrega"
)
async def entrega(
    webhook_id: int, entrega_id: DeliveryId, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    return {"data": await delivery_detail(session, await _find(session, principal, webhook_id), entrega_id)}


@router.post(
    "/{webhook_id}/entregas/{entrega_id}/reenviar",
    status_code=202,
    response_model=Item[DeliveryOut],
    summary="Reenviar una entrega (mismo webhook-id)",
)
async def reenviar(
    webhook_id: int, entrega_id: DeliveryId, session: SessionDep, principal: Writer
) -> dict[str, Any]:
    subscription = await _find(session, principal, webhook_id)
    return {"data": await routes.redeliver(session, subscription, entrega_id, owner=principal)}


@router.post(
    "/{webhook_id}/rotar-secreto", response_model=Item[RotadoOut], summary="Rotar el secreto de firma"
)
async def rotar_secreto(
    webhook_id: int, body: RotarIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
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
    return {"data": {"secret": secret, "expira_secreto_anterior": old_expires}}
