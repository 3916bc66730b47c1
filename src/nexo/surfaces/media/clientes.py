"""`/clientes`: the agency's advertisers, with their campaigns and orders."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, page_params, paginate
from nexo.media import parties
from nexo.media.campaigns import campanas_query
from nexo.media.models import Cliente
from nexo.media.orders import Filters, ordenes_query
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadClienteCampanas, ReadClienteOrdenes, ReadClientes, WriteClientes
from nexo.surfaces.media.order_schemas import CampanaOut, OrdenOut
from nexo.surfaces.media.schemas import ClienteIn, ClienteOut, ClientePatch
from nexo.surfaces.media.wire import IdPath, Item, ListOf, created, page_of

router = surface_router(prefix="/clientes", tags=["clientes"])
Pages = Annotated[PageParams, Depends(page_params)]


async def _render(session: SessionDep, rows: list[Cliente]) -> list[ClienteOut]:
    margins = await parties.average_margins(session, [row.id for row in rows])
    return [
        ClienteOut.model_validate(row).model_copy(update={"rentabilidad_promedio": margins.get(row.id)})
        for row in rows
    ]


@router.get("", response_model=ListOf[ClienteOut], summary="Listar clientes con filtros")
async def listar(
    session: SessionDep,
    principal: ReadClientes,
    pages: Pages,
    search: Annotated[
        str | None, Query(max_length=200, description="Nombre, razón social, email o RFC.")
    ] = None,
    status: Literal["activo", "inactivo"] | None = None,
) -> dict[str, Any]:
    page = await paginate(session, parties.list_query(Cliente, search=search, status=status), pages)
    return page_of(page, await _render(session, page.items))


@router.get("/{cliente_id}", response_model=Item[ClienteOut], summary="Obtener cliente")
async def obtener(cliente_id: IdPath, session: SessionDep, principal: ReadClientes) -> dict[str, Any]:
    cliente = await parties.get(session, Cliente, cliente_id)
    return {"data": (await _render(session, [cliente]))[0]}


@router.post("", response_model=Item[ClienteOut], status_code=201, summary="Crear cliente")
async def crear(
    body: ClienteIn, session: SessionDep, principal: WriteClientes, response: Response
) -> dict[str, Any]:
    cliente = await parties.create(session, principal, Cliente, body.model_dump())
    created(f"clientes/{cliente.id}", response)
    return {"data": (await _render(session, [cliente]))[0]}


@router.put("/{cliente_id}", response_model=Item[ClienteOut], summary="Actualizar cliente")
async def actualizar(
    cliente_id: IdPath, body: ClientePatch, session: SessionDep, principal: WriteClientes
) -> dict[str, Any]:
    cliente = await parties.update(
        session, principal, Cliente, cliente_id, body.model_dump(exclude_unset=True)
    )
    return {"data": (await _render(session, [cliente]))[0]}


@router.delete("/{cliente_id}", status_code=204, summary="Eliminar cliente")
async def eliminar(cliente_id: IdPath, session: SessionDep, principal: WriteClientes) -> Response:
    await parties.delete(session, principal, Cliente, cliente_id)
    return Response(status_code=204)


async def _campanas(cliente_id: IdPath, session: SessionDep, pages: PageParams) -> dict[str, Any]:
    await parties.get(session, Cliente, cliente_id)
    page = await paginate(session, campanas_query(cliente_id=cliente_id), pages)
    return page_of(page, [CampanaOut.model_validate(row) for row in page.items])


@router.get("/{cliente_id}/campañas", response_model=ListOf[CampanaOut], summary="Campañas del cliente")
async def campanas(
    cliente_id: IdPath, session: SessionDep, principal: ReadClienteCampanas, pages: Pages
) -> dict[str, Any]:
    return await _campanas(cliente_id, session, pages)


@router.get("/{cliente_id}/campanas", response_model=ListOf[CampanaOut], include_in_schema=False)
async def campanas_ascii(
    cliente_id: IdPath, session: SessionDep, principal: ReadClienteCampanas, pages: Pages
) -> dict[str, Any]:
    return await _campanas(cliente_id, session, pages)


@router.get("/{cliente_id}/ordenes", response_model=ListOf[OrdenOut], summary="Órdenes del cliente")
async def ordenes(
    cliente_id: IdPath, session: SessionDep, principal: ReadClienteOrdenes, pages: Pages
) -> dict[str, Any]:
    await parties.get(session, Cliente, cliente_id)
    page = await paginate(session, ordenes_query(Filters(cliente_id=cliente_id)), pages)
    return page_of(page, [OrdenOut.model_validate(row) for row in page.items])
