"""Announcing invoices that cross their due date: `factura.vencida` for each, and `cliente.vencido`
for a client that had nothing overdue before (collections spec §10.2).

An open invoice is overdue from the day after `vencimiento` in its organization's time zone. The
sweep runs hourly (every organization's midnight falls on some UTC hour) and marks what it announced
(`overdue_notified`), so each crossing is announced once whatever the schedule. Invoices that arrive
already overdue are marked at sync time and never announced (see `sync`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.events import emit
from nexo.core.tenancy import allow_all_tenants
from nexo.receivables.calendar import day_number, local_today
from nexo.receivables.models import OPEN, Cliente, Factura
from nexo.tenants.models import Tenant

BATCH = 1000


async def sweep(session: AsyncSession) -> int:
    """Announce every open invoice past due and not yet announced, in every tenant. Returns how many."""
    allow_all_tenants(session, reason="the overdue sweep covers every organization")
    rows_tz = (await session.execute(select(Tenant.id, Tenant.timezone))).tuples()
    zones = {row[0]: row[1] for row in rows_tz}  # not dict(rows): a Result has .keys(), read as a mapping
    latest_today = max((day_number(local_today(tz)) for tz in set(zones.values())), default=0)
    rows = (
        await session.execute(
            select(Factura, Cliente)
            .join(Cliente, Cliente.id == Factura.cliente_id)
            .where(
                Factura.status == OPEN,
                Factura.overdue_notified.is_(False),
                Factura.vencimiento_dia < latest_today,
            )
            .order_by(Factura.tenant_id, Factura.vencimiento_dia, Factura.id)
            .limit(BATCH)
        )
    ).tuples()
    crossed = [(f, c) for f, c in rows if f.vencimiento_dia < day_number(local_today(zones.get(f.tenant_id)))]
    if not crossed:
        return 0
    await _announce_clients(session, crossed)
    for factura, cliente in crossed:
        emit(
            session,
            name="factura.vencida",
            tenant_id=factura.tenant_id,
            payload=_invoice_event(factura, cliente),
        )
    await session.execute(
        update(Factura)
        .where(Factura.id.in_([factura.id for factura, _ in crossed]))
        .values(overdue_notified=True)
        .execution_options(synchronize_session=False)
    )
    return len(crossed)


async def _announce_clients(session: AsyncSession, crossed: list[tuple[Factura, Cliente]]) -> None:
    """`cliente.vencido` for clients of `crossed` with no invoice overdue and announced before."""
    by_client: dict[Any, list[Factura]] = defaultdict(list)
    clients = {}
    for factura, cliente in crossed:
        by_client[cliente.id].append(factura)
        clients[cliente.id] = cliente
    already = set(
        await session.scalars(
            select(Factura.cliente_id)
            .where(
                Factura.cliente_id.in_(list(by_client)),
                Factura.status == OPEN,
                Factura.overdue_notified.is_(True),
            )
            .distinct()
        )
    )
    for client_id, facturas in by_client.items():
        if client_id in already:
            continue
        cliente = clients[client_id]
        saldo = sum((f.saldo for f in facturas), facturas[0].saldo * 0)
        emit(
            session,
            name="cliente.vencido",
            tenant_id=cliente.tenant_id,
            payload={
                "clienteId": str(cliente.id),
                "clave": cliente.clave,
                "nombre": cliente.nombre,
                "empresaId": cliente.empresa_id,
                "saldoVencido": str(saldo),
                "facturas": [f.folio for f in facturas],
            },
        )


def _invoice_event(factura: Factura, cliente: Cliente) -> dict[str, Any]:
    return {
        "facturaId": str(factura.id),
        "folio": factura.folio,
        "clienteId": str(cliente.id),
        "clave": cliente.clave,
        "empresaId": factura.empresa_id,
        "vencimiento": factura.vencimiento.isoformat(),
        "saldo": str(factura.saldo),
    }
