"""`/clientes`: CRUD, search and status filters, sub-resources, events, tenancy, validation."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.media.support import BASE, catalog, get, media_caller, order_body, post, put

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants


async def _event_names(database: Database) -> list[str]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the outbox")
        return list(await session.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id)))


async def test_create_read_update_delete(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    body = {
        "nombre": "Comercializadora del Norte",
        "rfc": "cno010101ab1",
        "email": "pagos@norte.mx",
        "telefono": "+5218112345678",
        "industria": "retail",
    }
    created = await client.post(f"{BASE}/clientes", json=body, headers=caller.headers)
    assert created.status_code == 201
    cliente = created.json()["data"]
    assert created.headers["location"].endswith(f"clientes/{cliente['id']}")
    assert cliente["rfc"] == "CNO010101AB1"
    assert cliente["status"] == "activo"
    assert cliente["rentabilidad_promedio"] is None
    fetched = (await get(client, caller, f"/clientes/{cliente['id']}")).json()["data"]
    assert fetched["email"] == "pagos@norte.mx"
    updated = await put(
        client, caller, f"/clientes/{cliente['id']}", {"email": "cxp@norte.mx", "notas": None}
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["email"] == "cxp@norte.mx"
    assert updated.json()["data"]["nombre"] == "Comercializadora del Norte"  # untouched
    deleted = await client.delete(f"{BASE}/clientes/{cliente['id']}", headers=caller.headers)
    assert deleted.status_code == 204
    assert (await get(client, caller, f"/clientes/{cliente['id']}")).status_code == 404
    assert await _event_names(database) == ["cliente.creado", "cliente.actualizado", "cliente.eliminado"]


async def test_every_change_is_audited(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cliente = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    await put(client, caller, f"/clientes/{cliente['id']}", {"nombre": "Alfa SA"})
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        records = list(
            await session.scalars(
                select(AuditRecord).where(AuditRecord.entity_type == "cliente").order_by(AuditRecord.id)
            )
        )
    assert [r.action for r in records] == ["cliente.created", "cliente.updated"]
    assert records[1].changes == {"nombre": {"from": "Alfa", "to": "Alfa SA"}}
    assert records[1].actor_type == "user"


async def test_search_and_status_filters(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    await post(client, caller, "/clientes", {"nombre": "Farmacias Unidas", "email": "a@farma.mx"})
    await post(client, caller, "/clientes", {"nombre": "Aceros 100%", "status": "inactivo"})
    await post(client, caller, "/clientes", {"nombre": "Bebidas", "razon_social": "Refrescos FARMA SA"})

    async def names(**params: str) -> list[str]:
        return [row["nombre"] for row in (await get(client, caller, "/clientes", **params)).json()["data"]]

    assert await names(search="farma") == ["Bebidas", "Farmacias Unidas"]
    assert await names(status="inactivo") == ["Aceros 100%"]
    assert await names(search="100%") == ["Aceros 100%"]
    assert await names(search="%") == ["Aceros 100%"]  # a literal percent, not a wildcard
    assert (await get(client, caller, "/clientes", status="borrado")).status_code == 422


async def test_validation_names_the_field(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    for body, field in (
        ({}, "nombre"),
        ({"nombre": ""}, "nombre"),
        ({"nombre": "X", "email": "no-es-email"}, "email"),
        ({"nombre": "X", "telefono": "5512345678"}, "telefono"),
        ({"nombre": "X", "rfc": "123"}, "rfc"),
        ({"nombre": "X", "id": 5}, "id"),
    ):
        response = await client.post(f"{BASE}/clientes", json=body, headers=caller.headers)
        assert response.status_code == 422, body
        assert field in {d["field"] for d in response.json()["error"]["details"]}, body
    cliente = await post(client, caller, "/clientes", {"nombre": "X"})
    response = await put(client, caller, f"/clientes/{cliente['id']}", {"nombre": None})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["nombre"]


async def test_a_client_with_orders_cannot_be_deleted(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    await post(client, caller, "/ordenes", order_body(cat))
    response = await client.delete(f"{BASE}/clientes/{cat.cliente['id']}", headers=caller.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "RESOURCE_IN_USE"
    assert (await get(client, caller, f"/clientes/{cat.cliente['id']}")).status_code == 200
    assert "cliente.eliminado" not in await _event_names(database)


async def test_campaigns_of_a_client_both_spellings(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    alfa = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    beta = await post(client, caller, "/clientes", {"nombre": "Beta"})
    for cliente, nombre in ((alfa, "Verano"), (beta, "Invierno")):
        await post(
            client,
            caller,
            "/campanas",
            {
                "cliente_id": cliente["id"],
                "nombre": nombre,
                "fecha_inicio": "2024-06-01",
                "fecha_fin": "2024-08-31",
                "presupuesto": "1000",
            },
        )
    for path in (f"/clientes/{alfa['id']}/campañas", f"/clientes/{alfa['id']}/campanas"):
        response = await client.get(f"{BASE}{path}", headers=caller.headers)
        assert response.status_code == 200
        assert [row["nombre"] for row in response.json()["data"]] == ["Verano"]
    assert (await get(client, caller, "/clientes/9999/campanas")).status_code == 404


async def test_sub_resources_need_both_scopes(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    full = await media_caller(database, settings)
    cliente = await post(client, full, "/clientes", {"nombre": "Alfa"})
    only_clients = await media_caller(database, settings, scopes=["read:clientes"], tenant=full.tenant)
    assert (await get(client, only_clients, f"/clientes/{cliente['id']}")).status_code == 200
    assert (await get(client, only_clients, f"/clientes/{cliente['id']}/ordenes")).status_code == 403
    assert (await get(client, only_clients, f"/clientes/{cliente['id']}/campanas")).status_code == 403
    assert (
        await client.post(f"{BASE}/clientes", json={"nombre": "X"}, headers=only_clients.headers)
    ).status_code == 403


async def test_tenants_never_see_each_others_clients(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    ours, theirs = await media_caller(database, settings), await media_caller(database, settings)
    cliente = await post(client, ours, "/clientes", {"nombre": "Secreto"})
    assert (await get(client, theirs, "/clientes")).json()["data"] == []
    for response in (
        await get(client, theirs, f"/clientes/{cliente['id']}"),
        await put(client, theirs, f"/clientes/{cliente['id']}", {"nombre": "Hackeado"}),
        await client.delete(f"{BASE}/clientes/{cliente['id']}", headers=theirs.headers),
        await get(client, theirs, f"/clientes/{cliente['id']}/ordenes"),
    ):
        assert response.status_code == 404
    assert (await get(client, ours, f"/clientes/{cliente['id']}")).json()["data"]["nombre"] == "Secreto"


async def test_listing_walks_pages(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    for n in range(7):
        await post(client, caller, "/clientes", {"nombre": f"Cliente {n}"})
    first = (await get(client, caller, "/clientes", limit=3)).json()
    assert first["meta"] == {"page": 1, "limit": 3, "total": 7, "total_pages": 3}
    last = (await get(client, caller, "/clientes", limit=3, page=3)).json()
    assert [row["nombre"] for row in last["data"]] == ["Cliente 6"]
    assert (await get(client, caller, "/clientes", limit=101)).status_code == 422
