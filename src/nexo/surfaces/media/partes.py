"""`/agencias` and `/proveedores`: the spec lists them read-only; a real agency also creates and
changes them, so both have full CRUD."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, page_params, paginate
from nexo.media import parties
from nexo.media.models import Agencia, Proveedor
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadAgencias, ReadProveedores, WriteAgencias, WriteProveedores
from nexo.surfaces.media.schemas import (
    AgenciaIn,
    AgenciaOut,
    AgenciaPatch,
    ProveedorIn,
    ProveedorOut,
    ProveedorPatch,
)
from nexo.surfaces.media.wire import IdPath, Item, ListOf, created, page_of

agencias = surface_router(prefix="/agencias", tags=["agencias"])
proveedores = surface_router(prefix="/proveedores", tags=["proveedores"])
Pages = Annotated[PageParams, Depends(page_params)]
Search = Annotated[str | None, Query(max_length=200, description="Nombre, email o RFC.")]
Status = Literal["activo", "inactivo"] | None


@agencias.get("", response_model=ListOf[AgenciaOut], summary="Listar agencias")
async def listar_agencias(
    session: SessionDep, principal: ReadAgencias, pages: Pages, search: Search = None, status: Status = None
) -> dict[str, Any]:
    page = await paginate(session, parties.list_query(Agencia, search=search, status=status), pages)
    return page_of(page, [AgenciaOut.model_validate(row) for row in page.items])


@agencias.get("/{agencia_id}", response_model=Item[AgenciaOut], summary="Obtener agencia")
async def obtener_agencia(agencia_id: IdPath, session: SessionDep, principal: ReadAgencias) -> dict[str, Any]:
    return {"data": AgenciaOut.model_validate(await parties.get(session, Agencia, agencia_id))}


@agencias.post("", response_model=Item[AgenciaOut], status_code=201, summary="Crear agencia")
async def crear_agencia(
    body: AgenciaIn, session: SessionDep, principal: WriteAgencias, response: Response
) -> dict[str, Any]:
    agencia = await parties.create(session, principal, Agencia, body.model_dump())
    created(f"agencias/{agencia.id}", response)
    return {"data": AgenciaOut.model_validate(agencia)}


@agencias.put("/{agencia_id}", response_model=Item[AgenciaOut], summary="Actualizar agencia")
async def actualizar_agencia(
    agencia_id: IdPath, body: AgenciaPatch, session: SessionDep, principal: WriteAgencias
) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return {
        "data": AgenciaOut.model_validate(
            await parties.update(session, principal, Agencia, agencia_id, fields)
        )
    }


@agencias.delete("/{agencia_id}", status_code=204, summary="Eliminar agencia")
async def eliminar_agencia(agencia_id: IdPath, session: SessionDep, principal: WriteAgencias) -> Response:
    await parties.delete(session, principal, Agencia, agencia_id)
    return Response(status_code=204)


@proveedores.get("", response_model=ListOf[ProveedorOut], summary="Listar proveedores")
async def listar_proveedores(
    session: SessionDep,
    principal: ReadProveedores,
    pages: Pages,
    search: Search = None,
    status: Status = None,
) -> dict[str, Any]:
    page = await paginate(session, parties.list_query(Proveedor, search=search, status=status), pages)
    return page_of(page, [ProveedorOut.model_validate(row) for row in page.items])


@proveedores.get("/{proveedor_id}", response_model=Item[ProveedorOut], summary="Obtener proveedor")
async def obtener_proveedor(
    proveedor_id: IdPath, session: SessionDep, principal: ReadProveedores
) -> dict[str, Any]:
    return {"data": ProveedorOut.model_validate(await parties.get(session, Proveedor, proveedor_id))}


@proveedores.post("", response_model=Item[ProveedorOut], status_code=201, summary="Crear proveedor")
async def crear_proveedor(
    body: ProveedorIn, session: SessionDep, principal: WriteProveedores, response: Response
) -> dict[str, Any]:
    proveedor = await parties.create(session, principal, Proveedor, body.model_dump())
    created(f"proveedores/{proveedor.id}", response)
    return {"data": ProveedorOut.model_validate(proveedor)}


@proveedores.put("/{proveedor_id}", response_model=Item[ProveedorOut], summary="Actualizar proveedor")
async def actualizar_proveedor(
    proveedor_id: IdPath, body: ProveedorPatch, session: SessionDep, principal: WriteProveedores
) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    proveedor = await parties.update(session, principal, Proveedor, proveedor_id, fields)
    return {"data": ProveedorOut.model_validate(proveedor)}


@proveedores.delete("/{proveedor_id}", status_code=204, summary="Eliminar proveedor")
async def eliminar_proveedor(
    proveedor_id: IdPath, session: SessionDep, principal: WriteProveedores
) -> Response:
    await parties.delete(session, principal, Proveedor, proveedor_id)
    return Response(status_code=204)
