"""`POST /sync/cartera`: checksum, upsert stats, replay, closing, and refusals that write nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.receivables.builders import (
    SYNC_PATH,
    Org,
    checksum,
    connector_json,
    create_org,
    debtor,
    invoice,
    push,
    sync_body,
)
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.receivables.models import Cliente, Contacto, Factura, SyncRun


def _portfolio(org: Org) -> list[dict[str, Any]]:
    today = org.today
    return [
        debtor(
            "C001",
            "Cliente Uno S.A.",
            [
                invoice("F-1001", due=today - timedelta(days=7), saldo="12500.00"),
                invoice("F-1002", due=today + timedelta(days=10), saldo="32730.00", total="40000.00"),
            ],
            contactos=[{"nombre": "Juan Pérez", "email": "juan@clienteuno.com", "telefono": "555-1234"}],
        ),
        debtor("C002", "Comercial Dos", [invoice("F-2001", due=today - timedelta(days=45), saldo="0.10")]),
    ]


async def _snapshot_state(database: Database) -> list[tuple[Any, ...]]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads every row")
        invoices = await session.execute(
            select(Factura.folio, Factura.saldo, Factura.status, Factura.updated_at).order_by(Factura.folio)
        )
        clients = await session.execute(select(Cliente.clave, Cliente.updated_at).order_by(Cliente.clave))
        contacts = await session.scalar(select(func.count()).select_from(Contacto))
        return [*invoices.tuples(), *clients.tuples(), (contacts,)]


async def _events(database: Database, name: str) -> list[dict[str, Any]]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the outbox")
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        )
        return [row.payload for row in rows]


async def test_first_sync_creates_everything_and_reports_exact_stats(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    response = await push(client, org, sync_body(_portfolio(org)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["syncId"].startswith("sync_")
    assert body["stats"] == {
        "clientesActualizados": 2,
        "facturasActualizadas": 3,
        "nuevos": 3,
        "modificados": 0,
        "sinCambios": 0,
        "cerradas": 0,
    }
    completed = await _events(database, "sync.completado")
    assert [event["syncId"] for event in completed] == [body["syncId"]]


async def test_identical_replay_changes_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    body = sync_body(_portfolio(org))
    assert (await push(client, org, body)).status_code == 200
    before = await _snapshot_state(database)
    replay = await push(client, org, body)
    assert replay.status_code == 200
    assert replay.json()["stats"]["sinCambios"] == 3
    assert replay.json()["stats"]["nuevos"] == replay.json()["stats"]["modificados"] == 0
    assert await _snapshot_state(database) == before


async def test_changes_and_absent_invoices_in_a_full_snapshot(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    portfolio = _portfolio(org)
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    portfolio[0]["facturas"][0]["saldo"] = portfolio[0]["facturas"][0]["saldo"] - 500  # partial payment
    portfolio[1]["facturas"] = []  # F-2001 paid in the ERP: no longer listed
    portfolio[0]["facturas"].append(invoice("F-1003", due=org.today, saldo="99.99"))
    response = await push(client, org, sync_body(portfolio))
    assert response.json()["stats"] == {
        "clientesActualizados": 2,
        "facturasActualizadas": 3,
        "nuevos": 1,
        "modificados": 1,
        "sinCambios": 1,
        "cerradas": 1,
    }
    state = {row[0]: row[1:3] for row in await _snapshot_state(database) if len(row) == 4}
    assert str(state["F-1001"][0]) == "12000.00"
    assert state["F-2001"][1] == "pagada" and str(state["F-2001"][0]) == "0.00"


async def test_partial_snapshot_leaves_unlisted_invoices_open(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    portfolio = _portfolio(org)
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    response = await push(client, org, sync_body(portfolio[:1], tipo="parcial"))
    assert response.json()["stats"]["cerradas"] == 0
    state = {row[0]: row[2] for row in await _snapshot_state(database) if len(row) == 4}
    assert state["F-2001"] == "abierta"


async def _refused(
    http: httpx.AsyncClient, database: Database, org: Org, response: httpx.Response, status: int, code: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["requestId"]
    return error


async def test_checksum_mismatch_writes_nothing_and_records_the_failure(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    assert (await push(client, org, sync_body(_portfolio(org)))).status_code == 200
    before = await _snapshot_state(database)
    changed = _portfolio(org)
    changed[0]["nombre"] = "Otro nombre"
    body = sync_body(changed)
    body["checksum"] = checksum({"clientes": _portfolio(org)})  # the checksum of other data
    response = await push(client, org, body)
    await _refused(client, database, org, response, 400, "CHECKSUM_MISMATCH")
    assert await _snapshot_state(database) == before
    failed = await _events(database, "sync.fallido")
    assert len(failed) == 1 and failed[0]["error"]["code"] == "CHECKSUM_MISMATCH"
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads sync runs")
        statuses = sorted(run.status for run in await session.scalars(select(SyncRun)))
    assert statuses == ["completado", "fallido"]


async def test_numbers_are_hashed_as_written(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """`12500.0` and `12500.00` are the same amount but not the same text: the checksum is over the
    text, so a body re-serialised differently from what was hashed is refused."""
    org = await create_org(database, settings)
    body = sync_body(_portfolio(org))
    text = connector_json(body).replace(b'"saldo":12500.00', b'"saldo":12500.0')
    response = await client.post(
        "/collections/v1/sync/cartera",
        content=text,
        headers={**org.connector.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "CHECKSUM_MISMATCH"


async def test_documented_canonical_form(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """The documented rule, pinned on a literal: keys sorted, no spaces, UTF-8, numbers as sent."""
    org = await create_org(database, settings)
    due = org.today.isoformat()
    canonical = (
        '{"clientes":[{"clave":"Ñ1","facturas":[{"fecha":"' + due + '","folio":"A-1","saldo":10.50,'
        '"total":10.50,"vencimiento":"' + due + '"}],"nombre":"Niño & Cía"}]}'
    )
    import hashlib

    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    sent = (
        '{"empresaId": "01", "timestamp": "2025-12-22T15:30:00Z", "checksum": "sha256:' + digest + '", '
        '"data": {"clientes": [{"nombre": "Niño & Cía", "clave": "Ñ1", "facturas": [{"folio": "A-1", '
        '"fecha": "' + due + '", "vencimiento": "' + due + '", "total": 10.50, "saldo": 10.50}]}]}}'
    )
    response = await client.post(
        "/collections/v1/sync/cartera",
        content=sent.encode("utf-8"),
        headers={**org.connector.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def test_unknown_empresa_is_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    response = await push(client, org, sync_body(_portfolio(org), empresa_id="99"))
    error = await _refused(client, database, org, response, 422, "UNKNOWN_EMPRESA")
    assert error["details"][0]["field"] == "empresaId"
    assert await _snapshot_state(database) == [(0,)]


async def test_malformed_invoice_date_is_a_400_naming_the_field(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    portfolio = _portfolio(org)
    portfolio[1]["facturas"][0]["vencimiento"] = "2025-02-30"
    response = await push(client, org, sync_body(portfolio))
    error = await _refused(client, database, org, response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "data.clientes.1.facturas.0.vencimiento"
    assert await _snapshot_state(database) == [(0,)]


async def test_money_with_three_decimals_is_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    portfolio = _portfolio(org)
    portfolio[0]["facturas"][0]["saldo"] = portfolio[0]["facturas"][0]["total"] = __import__(
        "decimal"
    ).Decimal("1.005")
    response = await push(client, org, sync_body(portfolio))
    await _refused(client, database, org, response, 400, "VALIDATION_ERROR")
    assert await _snapshot_state(database) == [(0,)]


async def test_wrong_connector_id_and_revoked_connector_are_401(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    body = connector_json(sync_body(_portfolio(org)))
    headers = {**org.connector.headers(), "Content-Type": "application/json"}
    wrong = await client.post(
        "/collections/v1/sync/cartera",
        content=body,
        headers={**headers, "X-Connector-Id": str(org.tenant.public_id)},
    )
    assert wrong.status_code == 401
    missing = await client.post(
        "/collections/v1/sync/cartera",
        content=body,
        headers={k: v for k, v in headers.items() if k != "X-Connector-Id"},
    )
    assert missing.status_code == 401
    from nexo.core.auth.principal import Principal
    from nexo.credentials.connectors import revoke_connector

    async with database.transaction(tenant_id=org.tenant.id) as session:
        actor = Principal(kind="user", id="1", tenant_id=org.tenant.id)
        await revoke_connector(session, actor=actor, connector_id=org.connector.id)
    revoked = await client.post("/collections/v1/sync/cartera", content=body, headers=headers)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["requestId"]
    assert await _snapshot_state(database) == [(0,)]


async def test_users_cannot_sync(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    org = await create_org(database, settings)
    response = await client.post(
        "/collections/v1/sync/cartera",
        content=connector_json(sync_body(_portfolio(org))),
        headers={**org.user_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 403


async def test_a_lower_balance_is_announced_as_a_payment(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    portfolio = _portfolio(org)
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    assert await _events(database, "pago.registrado") == []  # new invoices are not payments
    portfolio[0]["facturas"][0]["saldo"] = Decimal("12000.50")  # F-1001: 12500.00 → 12000.50
    portfolio[0]["facturas"][1]["saldo"] = Decimal("0.00")  # F-1002: paid in full, closed
    portfolio[1]["facturas"] = []  # F-2001 absent: closed, but paid or cancelled is unknown
    response = await push(client, org, sync_body(portfolio))
    assert response.status_code == 200, response.text
    payments = sorted(await _events(database, "pago.registrado"), key=lambda event: event["folio"])
    assert [(p["folio"], p["monto"], p["saldoAnterior"], p["saldo"]) for p in payments] == [
        ("F-1001", "499.50", "12500.00", "12000.50"),
        ("F-1002", "32730.00", "32730.00", "0.00"),
    ]
    assert {p["clave"] for p in payments} == {"C001"} and payments[0]["syncId"] == response.json()["syncId"]
    portfolio[0]["facturas"][0]["saldo"] = Decimal("12500.00")  # a balance going up is no payment
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    assert len(await _events(database, "pago.registrado")) == 2


async def test_a_replay_is_only_the_last_applied_snapshot(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    """A, B, A: the second A is not a replay (B came in between) and puts A's balances back."""
    org = await create_org(database, settings)
    first = sync_body(_portfolio(org))
    changed = _portfolio(org)
    changed[0]["facturas"][0]["saldo"] = Decimal("100.00")
    assert (await push(client, org, first)).status_code == 200
    replay = await push(client, org, first)
    assert replay.json()["stats"]["sinCambios"] == 3
    assert (await push(client, org, sync_body(changed))).json()["stats"]["modificados"] == 1
    back = await push(client, org, first)
    assert back.json()["stats"]["modificados"] == 1
    state = {row[0]: row[1] for row in await _snapshot_state(database) if len(row) == 4}
    assert str(state["F-1001"]) == "12500.00"
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads every sync run")
        runs = await session.scalar(
            select(func.count()).select_from(SyncRun).where(SyncRun.status == "completado")
        )
    assert runs == 4  # the replay is recorded like any sync


async def test_the_sync_route_has_its_own_body_limit(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    app = make_app(max_body_bytes=2048, sync_max_body_bytes=64 * 1024)
    org = await create_org(app.runtime.database, settings)
    many = [
        debtor(f"C{n:03d}", f"Cliente {n}", [invoice(f"F-{n}", due=org.today, saldo="10.00")])
        for n in range(60)
    ]
    body = sync_body(many)
    assert len(connector_json(body)) > 2048
    async with http_client(app) as http:
        accepted = await push(http, org, body)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["stats"]["nuevos"] == 60
        beat = await http.post(
            "/collections/v1/connectors/heartbeat",
            content=b'{"status": "' + b"x" * 3000 + b'"}',
            headers={**org.connector.headers(), "Content-Type": "application/json"},
        )
        assert beat.status_code == 413  # every other route keeps NEXO_MAX_BODY_BYTES
        huge = sync_body([debtor(f"C{n:04d}", "x" * 250, []) for n in range(300)])
        too_big = await push(http, org, huge)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        anonymous = await http.post(
            SYNC_PATH, content=connector_json(huge), headers={"Content-Type": "application/json"}
        )
        assert anonymous.status_code == 401  # the larger limit is only for an authenticated connector


async def test_a_body_without_a_canonical_form_is_a_400(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    raw = (
        b'{"empresaId": "01", "timestamp": "2025-12-22T15:30:00Z", "checksum": "' + b"0" * 64 + b'", '
        b'"data": {"clientes": [{"clave": "C1", "nombre": "\\ud800", "facturas": []}]}}'
    )
    headers = {**org.connector.headers(), "Content-Type": "application/json"}
    response = await client.post(SYNC_PATH, content=raw, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_JSON"
