"""Dashboard and clients (§6, §7): buckets, sums exact to the cent, sorting, filters, tenancy."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from tests.receivables.builders import Org, create_org, debtor, invoice, push, sync_body

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.receivables.cartera import one_month_before
from nexo.receivables.models import CarteraSnapshot

BASE = "/collections/v1"
# folio → (days until due, saldo); negative days are days overdue.
INVOICES = {
    "A": (5, "100.00"),
    "B": (0, "0.01"),
    "C": (-1, "200.00"),
    "D": (-30, "300.33"),
    "E": (-31, "400.00"),
    "F": (-61, "500.00"),
    "G": (-90, "50.00"),
    "H": (-91, "1000.00"),
    "I": (-100, "0.00"),
}
OWNERS = {
    "C001": ("Beta", "ABCD", "ABC"),
    "C002": ("Alfa", "EFG", ""),
    "C003": ("Gamma", "H", ""),
    "C004": ("Delta", "I", ""),
}


def _portfolio(org: Org) -> list[dict[str, Any]]:
    result = []
    for clave, (nombre, folios, _) in OWNERS.items():
        facturas = [
            invoice(
                folio,
                due=org.today + timedelta(days=INVOICES[folio][0]),
                saldo=INVOICES[folio][1],
                total="5000.00",
            )
            for folio in folios
        ]
        extra = (
            {"contactos": [{"nombre": "Juan Pérez", "email": "juan@uno.example"}]} if clave == "C001" else {}
        )
        result.append(debtor(clave, nombre, facturas, rfc=f"{nombre.upper()}010101X", **extra))
    return result


@pytest.fixture
async def org(client: httpx.AsyncClient, database: Database, settings: Settings) -> Org:
    org = await create_org(database, settings)
    response = await push(client, org, sync_body(_portfolio(org)))
    assert response.status_code == 200, response.text
    return org


def _one_place(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


async def test_aging_buckets_are_exact(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get(f"{BASE}/cartera/antiguedad", headers=org.user_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = {
        "vigente": ("100.01", 2),
        "1-30": ("500.33", 2),
        "31-60": ("400.00", 1),
        "61-90": ("550.00", 2),
        "90+": ("1000.00", 1),
    }
    total = Decimal("2550.34")
    assert [r["rango"] for r in body["rangos"]] == list(expected)
    for row in body["rangos"]:
        monto, facturas = expected[row["rango"]]
        assert Decimal(str(row["monto"])) == Decimal(monto)
        assert row["facturas"] == facturas
        assert row["porcentaje"] == _one_place(Decimal(monto) * 100 / total)
    assert Decimal(str(body["total"])) == total
    # Money is written with exactly two decimals, as the spec shows it.
    assert '"monto":1000.00' in response.text and '"monto":100.01' in response.text
    assert '"total":2550.34' in response.text


async def test_aging_filters(client: httpx.AsyncClient, org: Org) -> None:
    # Invoice dates are 30 days before due dates: `hasta` = the date of H keeps only H.
    hasta = (org.today - timedelta(days=121)).isoformat()
    response = await client.get(
        f"{BASE}/cartera/antiguedad", params={"hasta": hasta}, headers=org.user_headers
    )
    assert Decimal(str(response.json()["total"])) == Decimal("1000.00")
    other = await client.get(
        f"{BASE}/cartera/antiguedad", params={"empresaId": "02"}, headers=org.user_headers
    )
    assert other.json()["total"] == 0
    bad = await client.get(
        f"{BASE}/cartera/antiguedad",
        params={"desde": "2025-02-01", "hasta": "2025-01-01"},
        headers=org.user_headers,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    malformed = await client.get(
        f"{BASE}/cartera/antiguedad", params={"desde": "ayer"}, headers=org.user_headers
    )
    assert malformed.status_code == 400


async def test_summary(client: httpx.AsyncClient, org: Org) -> None:
    body = (await client.get(f"{BASE}/cartera/resumen", headers=org.user_headers)).json()
    vencida = Decimal("2450.33")
    weighted = sum(Decimal(saldo) * -days for days, saldo in INVOICES.values() if days < 0 and Decimal(saldo))
    assert Decimal(str(body["totalCartera"])) == Decimal("2550.34")
    assert Decimal(str(body["carteraVigente"])) == Decimal("100.01")
    assert Decimal(str(body["carteraVencida"])) == vencida
    assert body["porcentajeVencido"] == _one_place(vencida * 100 / Decimal("2550.34"))
    assert body["clientesConSaldo"] == 3
    assert body["facturasActivas"] == 8
    assert body["promedioAntiguedad"] == _one_place(weighted / vencida)
    assert body["variacion"] == {"cartera": None, "vencida": None, "periodo": "vs mes anterior"}
    assert body["lastSync"] is not None and body["lastSync"].endswith("Z")


async def test_variation_against_a_month_before(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    async with database.transaction(tenant_id=org.tenant.id) as session:
        session.add(
            CarteraSnapshot(
                empresa_id="01",
                taken_on=one_month_before(org.today) - timedelta(days=3),
                total=Decimal("2000.00"),
                vencida=Decimal("1000.00"),
            )
        )
    body = (await client.get(f"{BASE}/cartera/resumen", headers=org.user_headers)).json()
    assert body["variacion"]["cartera"] == 27.5  # (2550.34 - 2000) / 2000
    assert body["variacion"]["vencida"] == 145.0  # (2450.33 - 1000) / 1000


async def test_overdue_invoices_sorted_filtered_and_paginated(client: httpx.AsyncClient, org: Org) -> None:
    url = f"{BASE}/cartera/vencidas"
    default = (await client.get(url, headers=org.user_headers)).json()
    assert [row["folio"] for row in default["data"]] == ["H", "G", "F", "E", "D", "C"]
    assert default["meta"] == {"page": 1, "limit": 20, "total": 6, "totalPages": 1}
    first = default["data"][0]
    assert first["diasVencido"] == 91 and first["rangoAntiguedad"] == "90+"
    assert first["cliente"]["clave"] == "C003" and first["cliente"]["nombre"] == "Gamma"
    ranged = (await client.get(url, params={"rangoAntiguedad": "61-90"}, headers=org.user_headers)).json()
    assert [row["folio"] for row in ranged["data"]] == ["G", "F"]
    page = (
        await client.get(url, params={"sort": "saldo:asc", "limit": 2, "page": 2}, headers=org.user_headers)
    ).json()
    assert [row["folio"] for row in page["data"]] == ["D", "E"]
    assert page["meta"] == {"page": 2, "limit": 2, "total": 6, "totalPages": 3}
    for bad in ({"sort": "nope:desc"}, {"rangoAntiguedad": "vigente"}, {"limit": 101}):
        response = await client.get(url, params=bad, headers=org.user_headers)
        assert response.status_code == 400, bad


async def test_clients_list(client: httpx.AsyncClient, org: Org) -> None:
    url = f"{BASE}/clientes"
    listed = (await client.get(url, headers=org.user_headers)).json()
    assert [row["nombre"] for row in listed["data"]] == ["Alfa", "Beta", "Delta", "Gamma"]
    beta = listed["data"][1]
    assert Decimal(str(beta["saldoTotal"])) == Decimal("600.34")
    assert Decimal(str(beta["saldoVencido"])) == Decimal("500.33")
    assert beta["diasMaxVencido"] == 30 and beta["facturasActivas"] == 4
    with_balance = (await client.get(url, params={"conSaldo": "true"}, headers=org.user_headers)).json()
    assert [row["clave"] for row in with_balance["data"]] == ["C002", "C001", "C003"]
    by_rfc = (await client.get(url, params={"search": "gamma010"}, headers=org.user_headers)).json()
    assert [row["clave"] for row in by_rfc["data"]] == ["C003"]
    by_clave = (await client.get(url, params={"search": "c00"}, headers=org.user_headers)).json()
    assert by_clave["meta"]["total"] == 4
    no_wildcards = (await client.get(url, params={"search": "%"}, headers=org.user_headers)).json()
    assert no_wildcards["meta"]["total"] == 0
    sorted_desc = (await client.get(url, params={"sort": "saldoTotal:desc"}, headers=org.user_headers)).json()
    assert [row["clave"] for row in sorted_desc["data"]] == ["C003", "C002", "C001", "C004"]


async def test_client_detail(client: httpx.AsyncClient, org: Org) -> None:
    listed = (
        await client.get(f"{BASE}/clientes", params={"search": "beta"}, headers=org.user_headers)
    ).json()
    detail = (await client.get(f"{BASE}/clientes/{listed['data'][0]['id']}", headers=org.user_headers)).json()
    assert detail["clave"] == "C001"
    assert detail["contactos"][0]["nombre"] == "Juan Pérez" and detail["contactos"][0]["principal"] is True
    assert set(detail["direccion"]) == {"calle", "colonia", "ciudad", "cp"}
    resumen = detail["resumenCartera"]
    assert Decimal(str(resumen["saldoVigente"])) == Decimal("100.01")
    assert [(f["folio"], f["status"], f["diasVencido"]) for f in detail["facturas"]] == [
        ("D", "vencida", 30),
        ("C", "vencida", 1),
        ("B", "vigente", 0),
        ("A", "vigente", 0),
    ]
    assert detail["historialCobranza"] == []


async def test_other_tenants_see_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings, org: Org
) -> None:
    other = await create_org(database, settings)
    listed = (await client.get(f"{BASE}/clientes", headers=org.user_headers)).json()
    foreign = (await client.get(f"{BASE}/clientes", headers=other.user_headers)).json()
    assert foreign["meta"]["total"] == 0
    response = await client.get(f"{BASE}/clientes/{listed['data'][0]['id']}", headers=other.user_headers)
    assert response.status_code == 404
    assert (await client.get(f"{BASE}/cartera/antiguedad", headers=other.user_headers)).json()["total"] == 0
    assert (await client.get(f"{BASE}/cartera/vencidas", headers=other.user_headers)).json()["meta"][
        "total"
    ] == 0
    missing = await client.get(f"{BASE}/clientes/{uuid.uuid4()}", headers=org.user_headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


async def test_permissions(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    from tests.identity_support import auth_headers, create_tenant, create_user, issue_token

    tenant = await create_tenant(database)
    user = await create_user(
        database, tenant=tenant, surface="collections", role="viewer", permissions=["clientes:read"]
    )
    token = await issue_token(database, settings, user, surface="collections")
    assert (await client.get(f"{BASE}/cartera/resumen", headers=auth_headers(token))).status_code == 403
    assert (await client.get(f"{BASE}/clientes", headers=auth_headers(token))).status_code == 200
    assert (await client.get(f"{BASE}/clientes")).status_code == 401
