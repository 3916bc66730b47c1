"""The overdue sweep: `factura.vencida` once per invoice crossing its due date in the organization's
calendar, `cliente.vencido` when a client first has something overdue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from tests.receivables.builders import create_org, debtor, invoice, push, sync_body

from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.jobs import ManualClock, use_clock
from nexo.core.jobs.registry import handler_for, periodics
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.receivables import jobs, overdue


async def _events(database: Database) -> list[tuple[str, dict[str, Any]]]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the outbox")
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.name.in_(["factura.vencida", "cliente.vencido"]))
            .order_by(OutboxEvent.id)
        )
        return [(row.name, row.payload) for row in rows]


async def _sweep(database: Database) -> int:
    async with database.transaction() as session:
        return await overdue.sweep(session)


async def test_crossing_is_announced_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    today = org.today
    portfolio = [
        debtor(
            "C001",
            "Uno",
            [
                invoice("F-OLD", due=today - timedelta(days=10), saldo="10.00"),  # overdue on arrival
                invoice("F-TODAY", due=today, saldo="20.00"),  # due today: crosses tomorrow
                invoice("F-LATER", due=today + timedelta(days=5), saldo="30.00"),
            ],
        ),
        debtor("C002", "Dos", [invoice("F-2", due=today, saldo="5.00")]),
    ]
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    assert await _sweep(database) == 0  # nothing crossed; F-OLD arrived overdue
    tomorrow = ManualClock()
    tomorrow.advance(timedelta(days=1))
    with use_clock(tomorrow):
        assert await _sweep(database) == 2
        assert await _sweep(database) == 0  # announced once
    events = await _events(database)
    assert sorted((name, p.get("folio") or p["clave"]) for name, p in events) == [
        ("cliente.vencido", "C002"),  # C001 already had F-OLD overdue
        ("factura.vencida", "F-2"),
        ("factura.vencida", "F-TODAY"),
    ]
    factura = next(p for name, p in events if name == "factura.vencida" and p["folio"] == "F-TODAY")
    assert factura["saldo"] == "20.00" and factura["vencimiento"] == today.isoformat()


def test_jobs_are_registered() -> None:
    assert handler_for(jobs.SWEEP_JOB) is not None
    assert handler_for("cobranza.enviar") is not None
    assert any(p.kind == jobs.SWEEP_JOB and p.every == timedelta(hours=1) for p in periodics())
