"""Builders for media tests: an authenticated caller per tenant, and a small catalog through HTTP.

caller = await media_caller(database, settings)              # every media scope
caller = await media_caller(database, settings, scopes=["read:clientes"])
response = await client.get("/media/v2/clientes", headers=caller.headers)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.tenants.models import Tenant

BASE = "/media/v2"


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    headers: dict[str, str]


async def media_caller(
    database: Database, settings: Settings, *, scopes: list[str] | None = None, tenant: Tenant | None = None
) -> Caller:
    """A user of a (new) tenant whose role holds exactly `scopes` (default: every media scope)."""
    tenant = tenant or await create_tenant(database)
    permissions = list(MEDIA_SCOPES) if scopes is None else scopes
    user = await create_user(
        database,
        tenant=tenant,
        surface="media",
        role=f"integracion-{uuid.uuid4().hex[:8]}",
        permissions=permissions,
    )
    token = await issue_token(database, settings, user, surface="media")
    return Caller(tenant=tenant, headers=auth_headers(token))


async def post(client: httpx.AsyncClient, caller: Caller, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST that must succeed; returns the created resource (`data`)."""
    response = await client.post(f"{BASE}{path}", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def put(client: httpx.AsyncClient, caller: Caller, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.put(f"{BASE}{path}", json=body, headers=caller.headers)


async def get(client: httpx.AsyncClient, caller: Caller, path: str, **params: Any) -> httpx.Response:
    return await client.get(f"{BASE}{path}", params=params, headers=caller.headers)


@dataclass(frozen=True)
class Catalog:
    cliente: dict[str, Any]
    proveedor: dict[str, Any]
    medio: dict[str, Any]


async def catalog(client: httpx.AsyncClient, caller: Caller, *, cliente: str = "Cliente Uno") -> Catalog:
    """A client, a supplier and a TV medio of that supplier with a one-line rate card."""
    nuevo_cliente = await post(client, caller, "/clientes", {"nombre": cliente, "email": "compras@uno.mx"})
    proveedor = await post(client, caller, "/proveedores", {"nombre": "Televisora Central"})
    medio = await post(
        client,
        caller,
        "/medios",
        {
            "nombre": "Canal 5",
            "tipo": "tv",
            "proveedor_id": proveedor["id"],
            "tarifas": [
                {
                    "concepto": "Spot 20s",
                    "unidad": "spot",
                    "costo_unitario": "800.00",
                    "precio_unitario": "1000.00",
                }
            ],
        },
    )
    return Catalog(cliente=nuevo_cliente, proveedor=proveedor, medio=medio)


def order_body(cat: Catalog, *items: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    """An order body; each item is (cantidad, costo_unitario, precio_unitario)."""
    lines = [
        {"descripcion": f"Partida {n}", "cantidad": q, "costo_unitario": c, "precio_unitario": p}
        for n, (q, c, p) in enumerate(items or (("1", "100.00", "150.00"),), start=1)
    ]
    return {"cliente_id": cat.cliente["id"], "medio_id": cat.medio["id"], "items": lines, **extra}
