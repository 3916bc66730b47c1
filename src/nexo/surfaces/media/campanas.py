"""`/campañas` (also served as `/campanas`, for clients that cannot send a non-ASCII path)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, page_params, paginate
from nexo.media import campaigns
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadCampanas, WriteCampanas
from nexo.surfaces.media.order_schemas import CampanaIn, CampanaOut, CampanaPatch, StatusCampana
from nexo.surfaces.media.wire import IdPath, IdQuery, Item, ListOf, created, page_of


async def listar(
    session: SessionDep,
    principal: ReadCampanas,
    pages: Annotated[PageParams, Depends(page_params)],
    cliente_id: IdQuery = None,
    agencia_id: IdQuery = None,
    status: StatusCampana | None = None,
    fecha_desde: Annotated[date | None, Query(description="Campañas vigentes en algún día desde…")] = None,
    fecha_hasta: Annotated[date | None, Query(description="…hasta esta fecha (incluida).")] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    statement = campaigns.campanas_query(
        cliente_id=cliente_id,
        agencia_id=agencia_id,
        status=status,
        fecha_desde=fecha_desde,
        fecha_hasta=fecha_hasta,
        search=search,
    )
    page = await paginate(session, statement, pages)
    return page_of(page, [CampanaOut.model_validate(row) for row in page.items])


async def obtener(campana_id: IdPath, session: SessionDep, principal: ReadCampanas) -> dict[str, Any]:
    return {"data": CampanaOut.model_validate(await campaigns.get_campana(session, campana_id))}


async def crear(
    body: CampanaIn, session: SessionDep, principal: WriteCampanas, response: Response
) -> dict[str, Any]:
    campana = await campaigns.create_campana(session, principal, body.model_dump())
    created(f"campanas/{campana.id}", response)
    return {"data": CampanaOut.model_validate(campana)}


async def actualizar(
    campana_id: IdPath, body: CampanaPatch, session: SessionDep, principal: WriteCampanas
) -> dict[str, Any]:
    campana = await campaigns.update_campana(
        session, principal, campana_id, body.model_dump(exclude_unset=True)
    )
    return {"data": CampanaOut.model_validate(campana)}


async def eliminar(campana_id: IdPath, session: SessionDep, principal: WriteCampanas) -> Response:
    await campaigns.delete_campana(session, principal, campana_id)
    return Response(status_code=204)


def _router(path: str, *, documented: bool) -> APIRouter:
    router = surface_router(prefix=path, tags=["campañas"], include_in_schema=documented)
    item = Item[CampanaOut]
    router.add_api_route(
        "", listar, methods=["GET"], response_model=ListOf[CampanaOut], summary="Listar campañas"
    )
    router.add_api_route(
        "/{campana_id}", obtener, methods=["GET"], response_model=item, summary="Obtener campaña"
    )
    router.add_api_route(
        "", crear, methods=["POST"], response_model=item, status_code=201, summary="Crear campaña"
    )
    router.add_api_route(
        "/{campana_id}", actualizar, methods=["PUT"], response_model=item, summary="Actualizar campaña"
    )
    router.add_api_route(
        "/{campana_id}", eliminar, methods=["DELETE"], status_code=204, summary="Eliminar campaña"
    )
    return router


# Starlette matches the decoded path, so `/campa%C3%B1as` reaches the first router.
routers = [_router("/campañas", documented=True), _router("/campanas", documented=False)]
