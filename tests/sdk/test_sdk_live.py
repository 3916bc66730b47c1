"""The Python SDK against a live Nexo server: the spec's two integration examples (a CRM sync of
every client; completed orders of a month, for invoicing), errors that name the field, and retries
that honour the server's Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pautapro_client
import pytest
from nexo_media import Client, ConflictError, RateLimitError, ValidationError
from tests.credentials.builders import make_client
from tests.identity_support import create_tenant
from tests.sdk.live import api_key, live_server

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.media import parties
from nexo.media.models import Cliente


@pytest.fixture(scope="module")
def base_url(settings: Settings) -> Iterator[str]:
    with live_server(settings) as url:
        yield url


@pytest.fixture
async def sdk(database: Database, base_url: str) -> Client:
    tenant = await create_tenant(database, plan="premium")
    return Client(api_key=await api_key(database, tenant), base_url=base_url)


async def test_crm_sync_lists_every_client(database: Database, base_url: str) -> None:
    """The spec's "CRM Integration" example, run as written (105 clients: two pages of 100)."""
    tenant = await create_tenant(database, plan="premium")
    actor = Principal(kind="user", id="seed", tenant_id=tenant.id)
    async with database.transaction(tenant_id=tenant.id) as session:
        for n in range(105):
            await parties.create(
                session, actor, Cliente, {"nombre": f"Cliente {n:03}", "email": f"c{n}@x.mx"}
            )
    key = await api_key(database, tenant, scopes=["read:clientes"])
    upserted: list[dict[str, Any]] = []

    class CrmClient:
        def upsert_contact(self, contact: dict[str, Any]) -> None:
            upserted.append(contact)

    crm_client = CrmClient()
    client = pautapro_client.Client(api_key=key, base_url=base_url)
    clientes = client.clientes.listar()
    for cliente in clientes:
        crm_client.upsert_contact(
            {
                "nombre": cliente.nombre,
                "email": cliente.email,
                "telefono": cliente.telefono,
                "custom_fields": {"pautapro_id": cliente.id, "rentabilidad": cliente.rentabilidad_promedio},
            }
        )
    assert len(upserted) == 105
    assert len({c["custom_fields"]["pautapro_id"] for c in upserted}) == 105
    assert upserted[0]["nombre"] == "Cliente 000" and upserted[0]["email"] == "c0@x.mx"


def _catalog(sdk: Client) -> dict[str, int]:
    cliente = sdk.clientes.crear(nombre="Alfa", rfc="ALF010101AB1")
    proveedor = sdk.proveedores.crear(nombre="Televisora")
    medio = sdk.medios.crear(nombre="Canal 5", tipo="tv", proveedor_id=proveedor.id)
    return {"cliente_id": cliente.id, "medio_id": medio.id}


def _advance(sdk: Client, orden_id: int, *estados: str) -> None:
    for estado in estados:
        sdk.ordenes.cambiar_estado(orden_id, estado)


async def test_invoicing_lists_completed_orders_of_a_month(sdk: Client) -> None:
    """The spec's "Facturación Electrónica" example: completed orders of November, then invoiced."""
    refs = _catalog(sdk)
    line = {"cantidad": "3", "costo_unitario": Decimal("800.00"), "precio_unitario": Decimal("1000.00")}
    done = ["aprobada", "en_ejecucion", "completada"]
    plan = [
        ("2024-10-31", done),
        ("2024-11-01", done),
        ("2024-11-15", ["aprobada"]),
        ("2024-11-30", done),
        ("2024-12-01", done),
    ]
    ids = {}
    for fecha, path in plan:
        orden = sdk.ordenes.crear(**refs, fecha=fecha, items=[line])
        _advance(sdk, orden.id, *path)
        ids[fecha] = orden.id

    ordenes = sdk.ordenes.listar(estado="completada", fecha_desde="2024-11-01", fecha_hasta="2024-11-30")
    facturas: list[dict[str, Any]] = []
    for orden in ordenes:
        facturas.append({"cliente": orden.cliente.nombre, "items": orden.items, "total": orden.total})
        sdk.ordenes.cambiar_estado(orden.id, "facturada", factura_folio=f"F-{orden.id}")
    assert [f["total"] for f in facturas] == [Decimal("3000.00"), Decimal("3000.00")]
    assert all(f["cliente"] == "Alfa" and f["items"][0].importe == Decimal("3000.00") for f in facturas)
    november = ("2024-11-01", "2024-11-30")
    assert (
        list(sdk.ordenes.listar(estado="completada", fecha_desde=november[0], fecha_hasta=november[1])) == []
    )
    invoiced = {
        o.id for o in sdk.ordenes.listar(estado="facturada", fecha_desde=november[0], fecha_hasta=november[1])
    }
    assert invoiced == {ids["2024-11-01"], ids["2024-11-30"]}


async def test_bad_requests_name_the_field(sdk: Client) -> None:
    refs = _catalog(sdk)
    line = {"cantidad": "1", "costo_unitario": "1.00", "precio_unitario": "2.00"}
    with pytest.raises(ValidationError) as negative:
        sdk.ordenes.crear(**refs, items=[{**line, "cantidad": "-1"}])
    assert negative.value.fields() == {"items.0.cantidad"}
    with pytest.raises(ValidationError) as unknown:
        sdk.ordenes.crear(**{**refs, "medio_id": 987654}, items=[line])
    assert unknown.value.fields() == {"medio_id"}
    orden = sdk.ordenes.crear(**refs, items=[line])
    with pytest.raises(ConflictError) as illegal:
        sdk.ordenes.cambiar_estado(orden.id, "facturada")
    assert illegal.value.fields() == {"estado"}
    with pytest.raises(ValidationError) as backwards:
        list(sdk.ordenes.listar(fecha_desde="2024-11-30", fecha_hasta="2024-11-01"))
    assert backwards.value.fields() == {"fecha_hasta"}


async def test_retries_honour_the_servers_retry_after(database: Database, base_url: str) -> None:
    tenant = await create_tenant(database, plan="standard")  # 3 requests a minute on this server
    waits: list[float] = []
    client = Client(
        api_key=await api_key(database, tenant),
        base_url=base_url,
        max_retries=2,
        max_retry_wait=120,
        sleep=waits.append,
    )
    for _ in range(3):
        client.clientes.listar().first_page()
    with pytest.raises(RateLimitError) as caught:
        client.clientes.listar().first_page()
    assert caught.value.code == "RATE_LIMIT_EXCEEDED"
    assert len(waits) == 2
    assert all(0 < wait <= 60 for wait in waits)  # what the server said: the minute's remainder


async def test_an_oauth_client_credentials_token_works_as_the_api_key(
    database: Database, base_url: str
) -> None:
    tenant = await create_tenant(database, plan="premium")
    issued = await make_client(database, tenant, scopes=["read:clientes", "write:clientes"])
    token_url = base_url.removesuffix("/v2") + "/oauth/token"
    grant = {
        "grant_type": "client_credentials",
        "client_id": issued.client.client_id,
        "client_secret": issued.secret,
        "scope": "read:clientes write:clientes",
    }
    async with httpx.AsyncClient(timeout=10) as http:
        token = (await http.post(token_url, json=grant)).json()["access_token"]
    client = Client(api_key=token, base_url=base_url)
    creado = client.clientes.crear(nombre="Vía OAuth")
    assert [c.id for c in client.clientes.listar()] == [creado.id]
