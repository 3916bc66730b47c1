"""`/campañas`: served percent-encoded and as `/campanas`; validation, filters, events."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.media.support import BASE, get, media_caller, post, put

from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants

CAMPANA = {
    "nombre": "Buen Fin",
    "fecha_inicio": "2024-11-01",
    "fecha_fin": "2024-11-30",
    "presupuesto": "125000.50",
}


async def test_both_paths_serve_the_same_campaigns(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cliente = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    created = await client.post(
        f"{BASE}/campa%C3%B1as", json={**CAMPANA, "cliente_id": cliente["id"]}, headers=caller.headers
    )
    assert created.status_code == 201, created.text
    campana = created.json()["data"]
    assert campana["presupuesto"] == "125000.50"
    assert campana["status"] == "planeada"
    for path in (
        f"/campa%C3%B1as/{campana['id']}",
        f"/campanas/{campana['id']}",
        f"/campañas/{campana['id']}",
    ):
        response = await client.get(f"{BASE}{path}", headers=caller.headers)
        assert response.status_code == 200, path
        assert response.json()["data"]["nombre"] == "Buen Fin"
    listed = await client.get(f"{BASE}/campanas", headers=caller.headers)
    assert [row["id"] for row in listed.json()["data"]] == [campana["id"]]


async def test_creation_and_changes_emit_events(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cliente = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    campana = await post(client, caller, "/campañas", {**CAMPANA, "cliente_id": cliente["id"]})
    assert (await put(client, caller, f"/campanas/{campana['id']}", {"status": "activa"})).status_code == 200
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the outbox")
        rows = list(await session.scalars(select(OutboxEvent).where(OutboxEvent.name.like("campa%"))))
    assert [row.name for row in rows] == ["campaña.creada", "campaña.actualizada"]
    assert rows[0].payload["campaña_id"] == campana["id"]
    assert rows[1].payload["cambios"] == ["status"]
    assert rows[1].payload["estado"] == "activa"


async def test_validation(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    cliente = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    for body, field in (
        ({**CAMPANA, "cliente_id": cliente["id"], "fecha_fin": "2024-10-31"}, "fecha_fin"),
        ({**CAMPANA, "cliente_id": 9999}, "cliente_id"),
        ({**CAMPANA, "cliente_id": cliente["id"], "agencia_id": 9999}, "agencia_id"),
        ({**CAMPANA, "cliente_id": cliente["id"], "presupuesto": "-1"}, "presupuesto"),
        ({**CAMPANA, "cliente_id": cliente["id"], "presupuesto": 0.001}, "presupuesto"),
        ({**CAMPANA, "cliente_id": cliente["id"], "status": "viva"}, "status"),
    ):
        response = await client.post(f"{BASE}/campanas", json=body, headers=caller.headers)
        assert response.status_code == 422, (field, response.text)
        assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    campana = await post(client, caller, "/campanas", {**CAMPANA, "cliente_id": cliente["id"]})
    response = await put(client, caller, f"/campanas/{campana['id']}", {"fecha_inicio": "2024-12-01"})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["fecha_fin"]
    response = await put(client, caller, f"/campanas/{campana['id']}", {"cliente_id": 2})
    assert response.status_code == 422  # a campaign never changes client


async def test_filters(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    alfa = await post(client, caller, "/clientes", {"nombre": "Alfa"})
    beta = await post(client, caller, "/clientes", {"nombre": "Beta"})
    await post(client, caller, "/campanas", {**CAMPANA, "cliente_id": alfa["id"], "status": "activa"})
    await post(
        client,
        caller,
        "/campanas",
        {
            **CAMPANA,
            "nombre": "Navidad",
            "cliente_id": beta["id"],
            "fecha_inicio": "2024-12-01",
            "fecha_fin": "2024-12-31",
        },
    )

    async def names(**params: object) -> list[str]:
        return [row["nombre"] for row in (await get(client, caller, "/campanas", **params)).json()["data"]]

    assert await names(cliente_id=beta["id"]) == ["Navidad"]
    assert await names(status="activa") == ["Buen Fin"]
    assert await names(fecha_desde="2024-12-15") == ["Navidad"]
    assert await names(fecha_hasta="2024-11-15") == ["Buen Fin"]
    assert await names(search="navi") == ["Navidad"]
    assert (
        await get(client, caller, "/campanas", fecha_desde="2024-12-02", fecha_hasta="2024-12-01")
    ).status_code == 422
