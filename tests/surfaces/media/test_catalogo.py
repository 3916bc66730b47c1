"""`/agencias`, `/proveedores`, `/medios` (with rate cards) and `/contratos`: full CRUD."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.media.support import BASE, Caller, catalog, get, media_caller, order_body, post, put

from nexo.core.db.session import Database
from nexo.core.settings import Settings


def _fields(response: httpx.Response) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        ("/agencias", {"nombre": "Agencia Norte", "comision_pct": "15.5"}, {"comision_pct": "12"}),
        ("/proveedores", {"nombre": "Radio Centro", "rfc": "RCE850101AB1"}, {"contacto": "Ana Ruiz"}),
    ],
)
async def test_party_crud(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    path: str,
    body: dict[str, Any],
    change: dict[str, Any],
) -> None:
    caller = await media_caller(database, settings)
    row = await post(client, caller, path, body)
    assert (await get(client, caller, path)).json()["meta"]["total"] == 1
    response = await put(client, caller, f"{path}/{row['id']}", change)
    assert response.status_code == 200
    key, value = next(iter(change.items()))
    expected = f"{float(value):.2f}" if key == "comision_pct" else value
    assert response.json()["data"][key] == expected
    assert (await client.delete(f"{BASE}{path}/{row['id']}", headers=caller.headers)).status_code == 204
    assert (await get(client, caller, f"{path}/{row['id']}")).status_code == 404


async def test_agency_commission_is_a_percentage(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    response = await client.post(
        f"{BASE}/agencias", json={"nombre": "X", "comision_pct": 101}, headers=caller.headers
    )
    assert response.status_code == 422
    assert _fields(response) == ["comision_pct"]


async def test_medio_with_rate_card(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    medio = cat.medio
    assert medio["tipo"] == "tv"
    assert medio["tarifas"][0]["precio_unitario"] == "1000.00"
    card = [
        {
            "concepto": "Spot 30s",
            "unidad": "spot",
            "costo_unitario": "1200",
            "precio_unitario": "1500",
            "vigente_desde": "2025-01-01",
            "vigente_hasta": "2025-12-31",
        },
        {"concepto": "Mención", "unidad": "mención", "costo_unitario": "300", "precio_unitario": "450"},
    ]
    response = await put(client, caller, f"/medios/{medio['id']}", {"tarifas": card, "cobertura": "Nacional"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert [t["concepto"] for t in data["tarifas"]] == ["Spot 30s", "Mención"]
    assert data["cobertura"] == "Nacional"
    assert (await get(client, caller, "/medios", tipo="tv")).json()["meta"]["total"] == 1
    assert (await get(client, caller, "/medios", tipo="radio")).json()["meta"]["total"] == 0
    assert (await get(client, caller, "/medios", proveedor_id=cat.proveedor["id"])).json()["meta"][
        "total"
    ] == 1


async def test_medio_validation(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    bad_card = [
        {
            "concepto": "X",
            "unidad": "u",
            "costo_unitario": "1",
            "precio_unitario": "2",
            "vigente_desde": "2025-02-01",
            "vigente_hasta": "2025-01-01",
        }
    ]
    for body, field in (
        ({"nombre": "Canal", "tipo": "cine"}, "tipo"),
        ({"nombre": "Canal", "tipo": "tv", "proveedor_id": 4040}, "proveedor_id"),
        ({"nombre": "Canal", "tipo": "tv", "tarifas": bad_card}, "tarifas.0.vigente_hasta"),
    ):
        response = await client.post(f"{BASE}/medios", json=body, headers=caller.headers)
        assert response.status_code == 422, body
        assert _fields(response) == [field]


async def test_an_inactive_medio_takes_no_orders_and_a_used_one_cannot_be_deleted(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    await post(client, caller, "/ordenes", order_body(cat))
    response = await client.delete(f"{BASE}/medios/{cat.medio['id']}", headers=caller.headers)
    assert response.status_code == 409
    await put(client, caller, f"/medios/{cat.medio['id']}", {"status": "inactivo"})
    response = await client.post(f"{BASE}/ordenes", json=order_body(cat), headers=caller.headers)
    assert response.status_code == 422
    assert _fields(response) == ["medio_id"]


async def test_an_unused_medio_is_deleted_with_its_rate_card(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    assert (
        await client.delete(f"{BASE}/medios/{cat.medio['id']}", headers=caller.headers)
    ).status_code == 204
    assert (await get(client, caller, f"/medios/{cat.medio['id']}")).status_code == 404
    # The supplier is free again once its last medio is gone.
    response = await client.delete(f"{BASE}/proveedores/{cat.proveedor['id']}", headers=caller.headers)
    assert response.status_code == 204


async def _contrato(client: httpx.AsyncClient, caller: Caller, **fields: Any) -> httpx.Response:
    body = {
        "folio": "C-2024-01",
        "tipo": "cliente",
        "fecha_inicio": "2024-01-01",
        "fecha_fin": "2024-12-31",
        "monto": "1200000.00",
        **fields,
    }
    return await client.post(f"{BASE}/contratos", json=body, headers=caller.headers)


async def test_contract_crud(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    created = await _contrato(client, caller, cliente_id=cat.cliente["id"])
    assert created.status_code == 201, created.text
    contrato = created.json()["data"]
    assert (contrato["monto"], contrato["status"]) == ("1200000.00", "borrador")
    response = await put(client, caller, f"/contratos/{contrato['id']}", {"status": "vigente"})
    assert response.json()["data"]["status"] == "vigente"
    vigentes = (await get(client, caller, "/contratos", vigente_en="2024-06-15")).json()["data"]
    assert [row["id"] for row in vigentes] == [contrato["id"]]
    assert (await get(client, caller, "/contratos", vigente_en="2025-06-15")).json()["data"] == []
    supplier = await _contrato(
        client, caller, tipo="proveedor", folio="P-1", proveedor_id=cat.proveedor["id"]
    )
    assert supplier.status_code == 201
    assert (await get(client, caller, "/contratos", tipo="proveedor")).json()["meta"]["total"] == 1
    assert (
        await client.delete(f"{BASE}/contratos/{contrato['id']}", headers=caller.headers)
    ).status_code == 204


async def test_contract_validation(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    cases = [
        ({}, "cliente_id"),
        ({"cliente_id": cat.cliente["id"], "proveedor_id": cat.proveedor["id"]}, "proveedor_id"),
        ({"tipo": "proveedor", "proveedor_id": 999}, "proveedor_id"),
        ({"cliente_id": cat.cliente["id"], "fecha_fin": "2023-12-31"}, "fecha_fin"),
        ({"cliente_id": cat.cliente["id"], "monto": "12.345"}, "monto"),
    ]
    for fields, field in cases:
        response = await _contrato(client, caller, **fields)
        assert response.status_code == 422, (fields, response.text)
        assert _fields(response) == [field], fields
    contrato = (await _contrato(client, caller, cliente_id=cat.cliente["id"])).json()["data"]
    response = await put(client, caller, f"/contratos/{contrato['id']}", {"tipo": "proveedor"})
    assert response.status_code == 422
    assert _fields(response) == ["proveedor_id"]


@pytest.mark.parametrize("resource", ["agencias", "proveedores", "medios", "contratos"])
async def test_each_resource_has_its_own_scopes(
    client: httpx.AsyncClient, database: Database, settings: Settings, resource: str
) -> None:
    reader = await media_caller(database, settings, scopes=[f"read:{resource}"])
    assert (await get(client, reader, f"/{resource}")).status_code == 200
    assert (await client.post(f"{BASE}/{resource}", json={}, headers=reader.headers)).status_code == 403
    stranger = await media_caller(database, settings, scopes=["read:clientes"])
    assert (await get(client, stranger, f"/{resource}")).status_code == 403
