"""The media events, added to the caller's transaction through the outbox (`nexo.core.events`).

Names and `data` fields follow the media webhook catalog (`nexo.webhooks.catalog.MEDIA`); the webhook
engine wraps `data` as `{"event", "timestamp", "data"}` when it delivers. Orders carry the spec's
fields (`orden_id`, `cliente_id`, `estado`) plus `campaña_id`, `total` and `costo` (two-decimal
strings); `*.actualizada`/`*.actualizado` add `cambios`, the names of the fields that changed. An
order reaching `completada` or `facturada` emits that state's own event after `orden.actualizada`, so
an invoicing system can subscribe to `orden.completada` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.events import emit
from nexo.media.models import Campana, Cliente, Orden
from nexo.media.transitions import COMPLETADA, FACTURADA

SURFACE = "media"

ORDEN_CREADA = "orden.creada"
ORDEN_ACTUALIZADA = "orden.actualizada"
ORDEN_COMPLETADA = "orden.completada"
ORDEN_FACTURADA = "orden.facturada"
CAMPANA_CREADA = "campaña.creada"
CAMPANA_ACTUALIZADA = "campaña.actualizada"
CLIENTE_CREADO = "cliente.creado"
CLIENTE_ACTUALIZADO = "cliente.actualizado"
CLIENTE_ELIMINADO = "cliente.eliminado"

_STATE_EVENTS = {COMPLETADA: ORDEN_COMPLETADA, FACTURADA: ORDEN_FACTURADA}


def _emit(session: AsyncSession, name: str, tenant_id: int, data: dict[str, Any]) -> None:
    emit(session, name=name, tenant_id=tenant_id, payload=data, surface=SURFACE)


def orden_data(orden: Orden) -> dict[str, Any]:
    return {
        "orden_id": orden.id,
        "cliente_id": orden.cliente_id,
        "estado": orden.estado,
        "campaña_id": orden.campana_id,
        "total": f"{orden.total:.2f}",
        "costo": f"{orden.costo:.2f}",
    }


def orden_creada(session: AsyncSession, orden: Orden) -> None:
    _emit(session, ORDEN_CREADA, orden.tenant_id, orden_data(orden))


def orden_actualizada(
    session: AsyncSession, orden: Orden, *, estado_anterior: str, cambios: Iterable[str]
) -> None:
    data = {**orden_data(orden), "estado_anterior": estado_anterior, "cambios": sorted(cambios)}
    _emit(session, ORDEN_ACTUALIZADA, orden.tenant_id, data)
    state_event = _STATE_EVENTS.get(orden.estado)
    if state_event is not None and orden.estado != estado_anterior:
        extra = {"factura": orden.factura_folio} if orden.estado == FACTURADA else {}
        _emit(session, state_event, orden.tenant_id, {**orden_data(orden), **extra})


def _campana_data(campana: Campana) -> dict[str, Any]:
    return {
        "campaña_id": campana.id,
        "cliente_id": campana.cliente_id,
        "nombre": campana.nombre,
        "estado": campana.status,
        "presupuesto": f"{campana.presupuesto:.2f}",
    }


def campana_creada(session: AsyncSession, campana: Campana) -> None:
    _emit(session, CAMPANA_CREADA, campana.tenant_id, _campana_data(campana))


def campana_actualizada(session: AsyncSession, campana: Campana, *, cambios: Iterable[str]) -> None:
    _emit(
        session,
        CAMPANA_ACTUALIZADA,
        campana.tenant_id,
        {**_campana_data(campana), "cambios": sorted(cambios)},
    )


def _cliente_data(cliente: Cliente) -> dict[str, Any]:
    return {
        "cliente_id": cliente.id,
        "nombre": cliente.nombre,
        "email": cliente.email,
        "status": cliente.status,
    }


def cliente_creado(session: AsyncSession, cliente: Cliente) -> None:
    _emit(session, CLIENTE_CREADO, cliente.tenant_id, _cliente_data(cliente))


def cliente_actualizado(session: AsyncSession, cliente: Cliente, *, cambios: Iterable[str]) -> None:
    _emit(
        session,
        CLIENTE_ACTUALIZADO,
        cliente.tenant_id,
        {**_cliente_data(cliente), "cambios": sorted(cambios)},
    )


def cliente_eliminado(session: AsyncSession, *, cliente_id: int, tenant_id: int) -> None:
    _emit(session, CLIENTE_ELIMINADO, tenant_id, {"cliente_id": cliente_id})
