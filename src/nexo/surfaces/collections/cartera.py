"""Portfolio dashboard (collections spec §6): summary, aging buckets, overdue invoices."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, camel_meta, page_params
from nexo.receivables import cartera
from nexo.receivables.calendar import current_organization
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import CarteraReader
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso, iso_date

router = surface_router(prefix="/cartera", tags=["Cartera"])

EmpresaQuery = Annotated[
    str | None, Query(alias="empresaId", max_length=32, description="Filtrar por empresa")
]
DesdeQuery = Annotated[date | None, Query(description="Fecha de factura desde (YYYY-MM-DD), inclusive")]
HastaQuery = Annotated[date | None, Query(description="Fecha de factura hasta (YYYY-MM-DD), inclusive")]


@router.get("/resumen", response_class=MoneyJSONResponse, summary="Portfolio summary")
async def resumen(
    principal: CarteraReader,
    session: SessionDep,
    empresa_id: EmpresaQuery = None,
    desde: DesdeQuery = None,
    hasta: HastaQuery = None,
) -> MoneyJSONResponse:
    org = await current_organization(session)
    filters = cartera.Filters(empresa_id=empresa_id, desde=desde, hasta=hasta)
    data = await cartera.summary(session, org, filters)
    return MoneyJSONResponse(
        {
            "totalCartera": data.total,
            "carteraVigente": data.vigente,
            "carteraVencida": data.vencida,
            "porcentajeVencido": data.porcentaje_vencido,
            "clientesConSaldo": data.clientes_con_saldo,
            "facturasActivas": data.facturas_activas,
            "promedioAntiguedad": data.promedio_antiguedad,
            "variacion": {
                "cartera": data.variacion.cartera,
                "vencida": data.variacion.vencida,
                "periodo": "vs mes anterior",
            },
            "lastSync": iso(data.last_sync),
        }
    )


@router.get("/antiguedad", response_class=MoneyJSONResponse, summary="Aging buckets")
async def antiguedad(
    principal: CarteraReader,
    session: SessionDep,
    empresa_id: EmpresaQuery = None,
    desde: DesdeQuery = None,
    hasta: HastaQuery = None,
) -> MoneyJSONResponse:
    org = await current_organization(session)
    filters = cartera.Filters(empresa_id=empresa_id, desde=desde, hasta=hasta)
    data = await cartera.aging(session, org, filters)
    rangos = [
        {
            "rango": figure.bucket.rango,
            "label": figure.bucket.label,
            "monto": figure.monto,
            "facturas": figure.facturas,
            "porcentaje": figure.porcentaje,
        }
        for figure in data.rangos
    ]
    return MoneyJSONResponse({"rangos": rangos, "total": data.total})


@router.get("/vencidas", response_class=MoneyJSONResponse, summary="Overdue invoices")
async def vencidas(
    principal: CarteraReader,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    sort: Annotated[str, Query(max_length=40, description="campo:asc|desc")] = "diasVencido:desc",
    rango: Annotated[
        str | None, Query(alias="rangoAntiguedad", description="1-30, 31-60, 61-90, 90+")
    ] = None,
    empresa_id: EmpresaQuery = None,
) -> MoneyJSONResponse:
    org = await current_organization(session)
    page = await cartera.overdue_invoices(session, org, params, sort=sort, rango=rango, empresa_id=empresa_id)
    today = org.today_number
    data: list[dict[str, Any]] = []
    for factura, clave, nombre in page.items:
        dias = cartera.days_overdue(factura, today)
        data.append(
            {
                "id": str(factura.id),
                "folio": factura.folio,
                "cliente": {"id": str(factura.cliente_id), "clave": clave, "nombre": nombre},
                "empresaId": factura.empresa_id,
                "fecha": iso_date(factura.fecha),
                "vencimiento": iso_date(factura.vencimiento),
                "total": factura.total,
                "saldo": factura.saldo,
                "diasVencido": dias,
                "rangoAntiguedad": cartera.bucket_label(dias),
            }
        )
    return MoneyJSONResponse({"data": data, "meta": camel_meta(page)})
