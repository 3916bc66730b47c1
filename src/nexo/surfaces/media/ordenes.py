"""`/ordenes`: purchase orders, their lines and their state (see `nexo.media.transitions`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from nexo.core.db.types import MAX_ID
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, page_params, paginate
from nexo.media import orders
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadOrdenes, WriteOrdenes
from nexo.surfaces.media.order_schemas import Estado, OrdenIn, OrdenOut, OrdenPatch
from nexo.surfaces.media.wire import IdPath, IdQuery, Item, ListOf, created, page_of

router = surface_router(prefix="/ordenes", tags=["ordenes"])


async def order_filters(
    estado: Estado | None = None,
    fecha_desde: Annotated[date | None, Query(description="Fecha de la orden, desde (incluida).")] = None,
    fecha_hasta: Annotated[date | None, Query(description="Fecha de la orden, hasta (incluida).")] = None,
    cliente_id: IdQuery = None,
    campana_enye: Annotated[int | None, Query(alias="campaña_id", ge=1, le=MAX_ID)] = None,
    campana_id: Annotated[int | None, Query(include_in_schema=False, ge=1, le=MAX_ID)] = None,
    proveedor_id: IdQuery = None,
    medio_id: IdQuery = None,
) -> orders.Filters:
    """The list's filters; `campaña_id` is the spec's name, `campana_id` its ASCII spelling."""
    return orders.Filters(
        estado=estado,
        fecha_desde=fecha_desde,
        fecha_hasta=fecha_hasta,
        cliente_id=cliente_id,
        campana_id=campana_enye if campana_enye is not None else campana_id,
        proveedor_id=proveedor_id,
        medio_id=medio_id,
    )


@router.get("", response_model=ListOf[OrdenOut], summary="Listar órdenes con estado y filtros")
async def listar(
    session: SessionDep,
    principal: ReadOrdenes,
    pages: Annotated[PageParams, Depends(page_params)],
    filters: Annotated[orders.Filters, Depends(order_filters)],
) -> dict[str, Any]:
    page = await paginate(session, orders.ordenes_query(filters), pages)
    return page_of(page, [OrdenOut.model_validate(row) for row in page.items])


@router.get("/{orden_id}", response_model=Item[OrdenOut], summary="Obtener orden")
async def obtener(orden_id: IdPath, session: SessionDep, principal: ReadOrdenes) -> dict[str, Any]:
    return {"data": OrdenOut.model_validate(await orders.get_orden(session, orden_id))}


@router.post("", response_model=Item[OrdenOut], status_code=201, summary="Crear orden")
async def crear(
    body: OrdenIn, session: SessionDep, principal: WriteOrdenes, response: Response
) -> dict[str, Any]:
    orden = await orders.create_orden(session, principal, body.model_dump())
    created(f"ordenes/{orden.id}", response)
    return {"data": OrdenOut.model_validate(orden)}


@router.put("/{orden_id}", response_model=Item[OrdenOut], summary="Actualizar orden o cambiar su estado")
async def actualizar(
    orden_id: IdPath, body: OrdenPatch, session: SessionDep, principal: WriteOrdenes
) -> dict[str, Any]:
    orden = await orders.update_orden(session, principal, orden_id, body.model_dump(exclude_unset=True))
    return {"data": OrdenOut.model_validate(orden)}
