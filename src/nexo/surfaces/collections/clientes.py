"""Clients (collections spec §7): list with balances, and the full detail of one client."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query

from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, camel_meta, page_params
from nexo.receivables import cartera
from nexo.receivables.calendar import current_organization
from nexo.receivables.clientes import ClientBalance, client_detail, list_clients
from nexo.receivables.models import Contacto, Envio, Factura
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import ClientesReader
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso, iso_date

router = surface_router(prefix="/clientes", tags=["Clientes"])


def _summary(item: ClientBalance) -> dict[str, Any]:
    cliente = item.cliente
    return {
        "id": str(cliente.id),
        "clave": cliente.clave,
        "nombre": cliente.nombre,
        "rfc": cliente.rfc,
        "empresaId": cliente.empresa_id,
        "saldoTotal": item.saldo_total,
        "saldoVencido": item.saldo_vencido,
        "diasMaxVencido": item.dias_max_vencido,
        "facturasActivas": item.facturas_activas,
        "ultimoPago": iso_date(cliente.ultimo_pago),
    }


@router.get("", response_class=MoneyJSONResponse, summary="List clients")
async def list_clientes(
    principal: ClientesReader,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(max_length=100, description="Busca en clave, nombre, RFC")] = None,
    con_saldo: Annotated[bool | None, Query(alias="conSaldo")] = None,
    sort: Annotated[str, Query(max_length=40, description="campo:asc|desc")] = "nombre:asc",
    empresa_id: Annotated[str | None, Query(alias="empresaId", max_length=32)] = None,
) -> MoneyJSONResponse:
    org = await current_organization(session)
    page = await list_clients(
        session, org, params, search=search, con_saldo=con_saldo, sort=sort, empresa_id=empresa_id
    )
    return MoneyJSONResponse({"data": [_summary(item) for item in page.items], "meta": camel_meta(page)})


def _contacto(contacto: Contacto) -> dict[str, Any]:
    return {
        "id": str(contacto.id),
        "nombre": contacto.nombre,
        "email": contacto.email,
        "telefono": contacto.telefono,
        "principal": contacto.principal,
    }


def _factura(factura: Factura, today: int) -> dict[str, Any]:
    return {
        "id": str(factura.id),
        "folio": factura.folio,
        "fecha": iso_date(factura.fecha),
        "vencimiento": iso_date(factura.vencimiento),
        "total": factura.total,
        "saldo": factura.saldo,
        "diasVencido": cartera.days_overdue(factura, today),
        "status": cartera.invoice_status(factura, today),
    }


def _envio(envio: Envio) -> dict[str, Any]:
    return {
        "id": str(envio.id),
        "tipo": "email",
        "fecha": iso(envio.sent_at or envio.created_at),
        "asunto": envio.asunto,
        "destinatario": envio.destinatario,
        "status": envio.status,
    }


@router.get("/{cliente_id}", response_class=MoneyJSONResponse, summary="Client detail")
async def get_cliente(
    principal: ClientesReader, session: SessionDep, cliente_id: uuid.UUID
) -> MoneyJSONResponse:
    org = await current_organization(session)
    detail = await client_detail(session, org, cliente_id)
    balance, cliente = detail.balance, detail.balance.cliente
    direccion = {key: cliente.direccion.get(key) for key in ("calle", "colonia", "ciudad", "cp")}
    return MoneyJSONResponse(
        {
            "id": str(cliente.id),
            "clave": cliente.clave,
            "nombre": cliente.nombre,
            "rfc": cliente.rfc,
            "empresaId": cliente.empresa_id,
            "direccion": direccion,
            "contactos": [_contacto(contacto) for contacto in detail.contactos],
            "resumenCartera": {
                "saldoTotal": balance.saldo_total,
                "saldoVencido": balance.saldo_vencido,
                "saldoVigente": balance.saldo_total - balance.saldo_vencido,
                "facturasActivas": balance.facturas_activas,
                "diasMaxVencido": balance.dias_max_vencido,
            },
            "facturas": [_factura(factura, org.today_number) for factura in detail.facturas],
            "historialCobranza": [_envio(envio) for envio in detail.historial],
        }
    )
