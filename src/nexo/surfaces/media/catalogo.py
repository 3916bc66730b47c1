"""`/medios` (the catalog, with rate cards) and `/contratos`, with full CRUD."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, page_params, paginate
from nexo.media import catalog
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadContratos, ReadMedios, WriteContratos, WriteMedios
from nexo.surfaces.media.schemas import (
    ContratoIn,
    ContratoOut,
    ContratoPatch,
    MedioIn,
    MedioOut,
    MedioPatch,
    StatusContrato,
    TipoContrato,
    TipoMedio,
)
from nexo.surfaces.media.wire import IdPath, IdQuery, Item, ListOf, created, page_of

medios = surface_router(prefix="/medios", tags=["medios"])
contratos = surface_router(prefix="/contratos", tags=["contratos"])
Pages = Annotated[PageParams, Depends(page_params)]


@medios.get("", response_model=ListOf[MedioOut], summary="Catálogo de medios")
async def listar_medios(
    session: SessionDep,
    principal: ReadMedios,
    pages: Pages,
    tipo: TipoMedio | None = None,
    proveedor_id: IdQuery = None,
    status: Literal["activo", "inactivo"] | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    statement = catalog.medios_query(tipo=tipo, proveedor_id=proveedor_id, status=status, search=search)
    page = await paginate(session, statement, pages)
    return page_of(page, [MedioOut.model_validate(row) for row in page.items])


@medios.get("/{medio_id}", response_model=Item[MedioOut], summary="Obtener medio")
async def obtener_medio(medio_id: IdPath, session: SessionDep, principal: ReadMedios) -> dict[str, Any]:
    return {"data": MedioOut.model_validate(await catalog.get_medio(session, medio_id))}


@medios.post("", response_model=Item[MedioOut], status_code=201, summary="Crear medio")
async def crear_medio(
    body: MedioIn, session: SessionDep, principal: WriteMedios, response: Response
) -> dict[str, Any]:
    medio = await catalog.create_medio(session, principal, body.model_dump())
    created(f"medios/{medio.id}", response)
    return {"data": MedioOut.model_validate(medio)}


@medios.put("/{medio_id}", response_model=Item[MedioOut], summary="Actualizar medio (tarifas: reemplaza)")
async def actualizar_medio(
    medio_id: IdPath, body: MedioPatch, session: SessionDep, principal: WriteMedios
) -> dict[str, Any]:
    medio = await catalog.update_medio(session, principal, medio_id, body.model_dump(exclude_unset=True))
    return {"data": MedioOut.model_validate(medio)}


@medios.delete("/{medio_id}", status_code=204, summary="Eliminar medio")
async def eliminar_medio(medio_id: IdPath, session: SessionDep, principal: WriteMedios) -> Response:
    await catalog.delete_medio(session, principal, medio_id)
    return Response(status_code=204)


@contratos.get("", response_model=ListOf[ContratoOut], summary="Gestión de contratos")
async def listar_contratos(
    session: SessionDep,
    principal: ReadContratos,
    pages: Pages,
    tipo: TipoContrato | None = None,
    status: StatusContrato | None = None,
    cliente_id: IdQuery = None,
    proveedor_id: IdQuery = None,
    vigente_en: Annotated[date | None, Query(description="Contratos vigentes en esta fecha.")] = None,
) -> dict[str, Any]:
    statement = catalog.contratos_query(
        tipo=tipo, status=status, cliente_id=cliente_id, proveedor_id=proveedor_id, vigente_en=vigente_en
    )
    page = await paginate(session, statement, pages)
    return page_of(page, [ContratoOut.model_validate(row) for row in page.items])


@contratos.get("/{contrato_id}", response_model=Item[ContratoOut], summary="Obtener contrato")
async def obtener_contrato(
    contrato_id: IdPath, session: SessionDep, principal: ReadContratos
) -> dict[str, Any]:
    return {"data": ContratoOut.model_validate(await catalog.get_contrato(session, contrato_id))}


@contratos.post("", response_model=Item[ContratoOut], status_code=201, summary="Crear contrato")
async def crear_contrato(
    body: ContratoIn, session: SessionDep, principal: WriteContratos, response: Response
) -> dict[str, Any]:
    contrato = await catalog.create_contrato(session, principal, body.model_dump())
    created(f"contratos/{contrato.id}", response)
    return {"data": ContratoOut.model_validate(contrato)}


@contratos.put("/{contrato_id}", response_model=Item[ContratoOut], summary="Actualizar contrato")
async def actualizar_contrato(
    contrato_id: IdPath, body: ContratoPatch, session: SessionDep, principal: WriteContratos
) -> dict[str, Any]:
    contrato = await catalog.update_contrato(
        session, principal, contrato_id, body.model_dump(exclude_unset=True)
    )
    return {"data": ContratoOut.model_validate(contrato)}


@contratos.delete("/{contrato_id}", status_code=204, summary="Eliminar contrato")
async def eliminar_contrato(contrato_id: IdPath, session: SessionDep, principal: WriteContratos) -> Response:
    await catalog.delete_contrato(session, principal, contrato_id)
    return Response(status_code=204)
