"""The media surface as a whole: every endpoint the spec lists answers, the OpenAPI document
describes them with money as strings, and a retried POST with an Idempotency-Key creates once."""

from __future__ import annotations

import httpx
import pytest
from tests.media.support import BASE, catalog, get, media_caller, order_body, post

from nexo.core.db.session import Database
from nexo.core.settings import Settings

# The spec's endpoint list (specs/media-agency-api.md, "ENDPOINTS PRINCIPALES"), ids filled in below.
SPEC_ENDPOINTS = [
    ("GET", "/clientes"),
    ("GET", "/clientes/{cliente_id}"),
    ("POST", "/clientes"),
    ("PUT", "/clientes/{cliente_id}"),
    ("DELETE", "/clientes/{cliente_id}"),
    ("GET", "/clientes/{cliente_id}/campañas"),
    ("GET", "/clientes/{cliente_id}/ordenes"),
    ("GET", "/ordenes"),
    ("GET", "/ordenes/{orden_id}"),
    ("POST", "/ordenes"),
    ("PUT", "/ordenes/{orden_id}"),
    ("GET", "/campañas"),
    ("GET", "/campañas/{campana_id}"),
    ("POST", "/campañas"),
    ("GET", "/reportes/rentabilidad"),
    ("GET", "/reportes/inversion"),
    ("GET", "/reportes/clientes"),
    ("GET", "/reportes/medios"),
    ("GET", "/analytics/dashboard"),
    ("GET", "/agencias"),
    ("GET", "/proveedores"),
    ("GET", "/medios"),
    ("GET", "/contratos"),
]
# The spec shows only GET for these; a real agency also creates, changes and deletes them.
CRUD = {
    "/agencias": "/agencias/{agencia_id}",
    "/proveedores": "/proveedores/{proveedor_id}",
    "/medios": "/medios/{medio_id}",
    "/contratos": "/contratos/{contrato_id}",
    "/campañas": "/campañas/{campana_id}",
}


async def test_the_openapi_document_lists_every_spec_endpoint(client: httpx.AsyncClient) -> None:
    document = (await client.get(f"{BASE}/docs/openapi.json")).json()
    paths = {path.removeprefix("/v2"): ops for path, ops in document["paths"].items()}
    for method, path in SPEC_ENDPOINTS:
        assert method.lower() in paths.get(path, {}), f"{method} {path} missing from OpenAPI"
    for collection, item in CRUD.items():
        assert {"get", "post"} <= set(paths[collection]), collection
        assert {"get", "put", "delete"} <= set(paths[item]), item


async def test_money_is_a_string_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    schemas = (await client.get(f"{BASE}/docs/openapi.json")).json()["components"]["schemas"]
    orden = schemas["OrdenOut"]["properties"]
    for field in ("total", "costo", "margen"):
        assert orden[field]["type"] == "string", field


async def test_every_spec_endpoint_answers(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    campana = await post(
        client,
        caller,
        "/campañas",
        {
            "cliente_id": cat.cliente["id"],
            "nombre": "C",
            "fecha_inicio": "2024-01-01",
            "fecha_fin": "2024-01-31",
            "presupuesto": "10",
        },
    )
    spare = await post(client, caller, "/clientes", {"nombre": "Sin órdenes"})
    ids = {"cliente_id": cat.cliente["id"], "orden_id": orden["id"], "campana_id": campana["id"]}
    bodies = {
        "POST /clientes": {"nombre": "Nuevo"},
        "PUT /clientes/{cliente_id}": {"notas": "VIP"},
        "POST /ordenes": order_body(cat),
        "PUT /ordenes/{orden_id}": {"estado": "aprobada"},
        "POST /campañas": {
            "cliente_id": cat.cliente["id"],
            "nombre": "D",
            "fecha_inicio": "2024-02-01",
            "fecha_fin": "2024-02-28",
            "presupuesto": "10",
        },
    }
    for method, template in SPEC_ENDPOINTS:
        path = template.format(**ids)
        if method == "DELETE":
            path = template.format(cliente_id=spare["id"])
        response = await client.request(
            method, f"{BASE}{path}", json=bodies.get(f"{method} {template}"), headers=caller.headers
        )
        assert response.status_code in {200, 201, 204}, (method, path, response.text)


async def test_an_idempotent_retry_creates_one_order(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    headers = {**caller.headers, "Idempotency-Key": "orden-2024-11-0001"}
    first = await client.post(f"{BASE}/ordenes", json=order_body(cat), headers=headers)
    again = await client.post(f"{BASE}/ordenes", json=order_body(cat), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert (await get(client, caller, "/ordenes")).json()["meta"]["total"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/clientes/abc",
        "/ordenes/1.5",
        "/clientes?page=0",
        "/ordenes?estado=nuevo",
        "/clientes/99999999999999999999",  # beyond any database integer: refused before the query
        "/ordenes?cliente_id=99999999999999999999",
        "/medios/0",
    ],
)
async def test_malformed_requests_are_422_never_500(
    client: httpx.AsyncClient, database: Database, settings: Settings, path: str
) -> None:
    caller = await media_caller(database, settings)
    response = await client.get(f"{BASE}{path}", headers=caller.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_an_out_of_range_id_in_a_body_names_the_field(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    body = {**order_body(cat), "cliente_id": 99999999999999999999}
    response = await client.post(f"{BASE}/ordenes", json=body, headers=caller.headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["cliente_id"]


async def test_no_resource_of_another_tenant_is_reachable(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    ours, theirs = await media_caller(database, settings), await media_caller(database, settings)
    cat = await catalog(client, ours)
    orden = await post(client, ours, "/ordenes", order_body(cat))
    campana = await post(
        client,
        ours,
        "/campanas",
        {
            "cliente_id": cat.cliente["id"],
            "nombre": "C",
            "fecha_inicio": "2024-01-01",
            "fecha_fin": "2024-01-31",
            "presupuesto": "10",
        },
    )
    agencia = await post(client, ours, "/agencias", {"nombre": "A"})
    contrato = await post(
        client,
        ours,
        "/contratos",
        {
            "folio": "F",
            "tipo": "cliente",
            "cliente_id": cat.cliente["id"],
            "fecha_inicio": "2024-01-01",
            "fecha_fin": "2024-12-31",
            "monto": "1",
        },
    )
    owned = {
        "/clientes": cat.cliente["id"],
        "/proveedores": cat.proveedor["id"],
        "/medios": cat.medio["id"],
        "/ordenes": orden["id"],
        "/campanas": campana["id"],
        "/agencias": agencia["id"],
        "/contratos": contrato["id"],
    }
    for collection, row_id in owned.items():
        assert (await get(client, theirs, collection)).json()["data"] == [], collection
        item = f"{BASE}{collection}/{row_id}"
        assert (await client.get(item, headers=theirs.headers)).status_code == 404, collection
        assert (await client.put(item, json={}, headers=theirs.headers)).status_code == 404, collection
        if collection != "/ordenes":  # orders are cancelled, never deleted
            assert (await client.delete(item, headers=theirs.headers)).status_code == 404, collection
        assert (await client.get(item, headers=ours.headers)).status_code == 200, collection
