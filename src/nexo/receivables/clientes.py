"""Clients with their balances (collections spec §7), aggregated in SQL from open invoices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.errors import NotFound
from nexo.core.pagination import Page, PageParams, paginate
from nexo.receivables.calendar import Organization
from nexo.receivables.cartera import parse_sort
from nexo.receivables.models import OPEN, Cliente, Contacto, Envio, Factura

ZERO = Decimal("0.00")
MAX_DETAIL_INVOICES = 500
MAX_DETAIL_HISTORY = 50


def _balances(today: int) -> Any:
    """Per client: open balance, overdue balance, oldest overdue due day, open invoice count."""
    overdue = Factura.vencimiento_dia < today
    return (
        select(
            Factura.cliente_id.label("cliente_id"),
            func.sum(Factura.saldo).label("saldo_total"),
            func.sum(Factura.saldo).filter(overdue).label("saldo_vencido"),
            func.min(Factura.vencimiento_dia).filter(overdue).label("oldest_due"),
            func.count().label("facturas"),
        )
        .where(Factura.status == OPEN)
        .group_by(Factura.cliente_id)
        .subquery("balances")
    )


@dataclass(frozen=True, slots=True)
class ClientBalance:
    cliente: Cliente
    saldo_total: Decimal
    saldo_vencido: Decimal
    dias_max_vencido: int
    facturas_activas: int


def _listing(today: int) -> tuple[Select[Any], dict[str, Any]]:
    balances = _balances(today)
    saldo_total = func.coalesce(balances.c.saldo_total, 0)
    saldo_vencido = func.coalesce(balances.c.saldo_vencido, 0)
    dias = func.coalesce(today - balances.c.oldest_due, 0)
    facturas = func.coalesce(balances.c.facturas, 0)
    query = select(Cliente, balances.c.saldo_total, balances.c.saldo_vencido, dias, facturas).outerjoin(
        balances, balances.c.cliente_id == Cliente.id
    )
    sorts = {
        "nombre": (Cliente.nombre, False),
        "clave": (Cliente.clave, False),
        "rfc": (Cliente.rfc, False),
        "saldoTotal": (saldo_total, False),
        "saldoVencido": (saldo_vencido, False),
        "diasMaxVencido": (dias, False),
        "facturasActivas": (facturas, False),
    }
    return query, {"sorts": sorts, "saldo_total": saldo_total}


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_clients(
    session: AsyncSession,
    org: Organization,
    params: PageParams,
    *,
    search: str | None,
    con_saldo: bool | None,
    sort: str,
    empresa_id: str | None = None,
) -> Page[ClientBalance]:
    query, parts = _listing(org.today_number)
    column, descending = parse_sort(sort, parts["sorts"])
    if search and search.strip():
        pattern = _like(search.strip())
        query = query.where(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (Cliente.clave, Cliente.nombre, Cliente.rfc)
                )
            )
        )
    if con_saldo is True:
        query = query.where(parts["saldo_total"] > 0)
    elif con_saldo is False:
        query = query.where(parts["saldo_total"] == 0)
    if empresa_id is not None:
        query = query.where(Cliente.empresa_id == empresa_id)
    ordered = query.order_by(column.desc() if descending else column.asc(), Cliente.id)
    page = await paginate(session, ordered, params)
    return Page(
        items=[_balance(row) for row in page.items], total=page.total, page=page.page, limit=page.limit
    )


def _balance(row: Any) -> ClientBalance:
    cliente, saldo_total, saldo_vencido, dias, facturas = row
    return ClientBalance(
        cliente=cliente,
        saldo_total=saldo_total or ZERO,
        saldo_vencido=saldo_vencido or ZERO,
        dias_max_vencido=int(dias or 0),
        facturas_activas=int(facturas or 0),
    )


@dataclass(frozen=True, slots=True)
class ClientDetail:
    balance: ClientBalance
    contactos: list[Contacto]
    facturas: list[Factura]
    historial: list[Envio]


async def get_client(session: AsyncSession, client_id: uuid.UUID) -> Cliente:
    cliente = await session.get(Cliente, client_id)
    if cliente is None:
        raise NotFound("No client with this id.")
    return cliente


async def client_detail(session: AsyncSession, org: Organization, client_id: uuid.UUID) -> ClientDetail:
    query, _ = _listing(org.today_number)
    row = (await session.execute(query.where(Cliente.id == client_id))).first()
    if row is None:
        raise NotFound("No client with this id.")
    contactos = await session.scalars(
        select(Contacto).where(Contacto.cliente_id == client_id).order_by(Contacto.position)
    )
    facturas = await session.scalars(
        select(Factura)
        .where(Factura.cliente_id == client_id)
        .order_by((Factura.status != OPEN), Factura.vencimiento, Factura.folio)
        .limit(MAX_DETAIL_INVOICES)
    )
    historial = await session.scalars(
        select(Envio)
        .where(Envio.cliente_id == client_id)
        .order_by(Envio.created_at.desc(), Envio.id)
        .limit(MAX_DETAIL_HISTORY)
    )
    return ClientDetail(
        balance=_balance(row), contactos=list(contactos), facturas=list(facturas), historial=list(historial)
    )
