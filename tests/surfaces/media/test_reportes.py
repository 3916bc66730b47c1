"""Reports against a hand-computed fixture: every figure below was worked out on paper, to the cent.

Orders (lines are cantidad × costo / precio; line amounts round half-up to the cent):

    O1 2024-10-15 Alfa M1(tv,P1)      CA1  10 × 800.00 / 1000.00  = 10000.00 / 8000.00  facturada
    O2 2024-11-05 Alfa M2(radio,P2)   CA1  3 × 333.33 / 450.00    =  1350.00 / 999.99
                                           1.5 × 99.99 / 120.00   =   180.00 / 149.99
                                                          order   =  1530.00 / 1149.98  completada
    O3 2024-11-20 Beta M3(digital,P2) —    2500 × 0.07 / 0.10     =   250.00 / 175.00   aprobada
    O4 2024-11-25 Beta M1             —    1 × 500.00 / 700.00    =   700.00 / 500.00   pendiente
    O5 2024-11-26 Alfa M1             —    2 × 100.00 / 90.00     =   180.00 / 200.00   en_ejecucion
    O6 2024-11-27 Beta M2             —    5 × 10.00 / 20.00      =   100.00 / 50.00    cancelada

Reports count committed orders (O1, O2, O3, O5) unless asked for one `estado`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from tests.media.support import Caller, get, media_caller, post, put

from nexo.core.db.session import Database
from nexo.core.settings import Settings

PATHS = {
    "aprobada": ["aprobada"],
    "en_ejecucion": ["aprobada", "en_ejecucion"],
    "completada": ["aprobada", "en_ejecucion", "completada"],
    "facturada": ["aprobada", "en_ejecucion", "completada", "facturada"],
    "cancelada": ["cancelada"],
    "pendiente": [],
}


async def _order(
    client: httpx.AsyncClient, caller: Caller, estado: str, lines: list[tuple[str, str, str]], **fields: Any
) -> None:
    items = [{"cantidad": q, "costo_unitario": c, "precio_unitario": p} for q, c, p in lines]
    orden = await post(client, caller, "/ordenes", {**fields, "items": items})
    for step in PATHS[estado]:
        assert (await put(client, caller, f"/ordenes/{orden['id']}", {"estado": step})).status_code == 200


@pytest.fixture
async def fixture(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> tuple[Caller, dict[str, int]]:
    caller = await media_caller(database, settings)
    alfa = (await post(client, caller, "/clientes", {"nombre": "Alfa"}))["id"]
    beta = (await post(client, caller, "/clientes", {"nombre": "Beta"}))["id"]
    p1 = (await post(client, caller, "/proveedores", {"nombre": "P1"}))["id"]
    p2 = (await post(client, caller, "/proveedores", {"nombre": "P2"}))["id"]
    m1 = (await post(client, caller, "/medios", {"nombre": "M1", "tipo": "tv", "proveedor_id": p1}))["id"]
    m2 = (await post(client, caller, "/medios", {"nombre": "M2", "tipo": "radio", "proveedor_id": p2}))["id"]
    m3 = (await post(client, caller, "/medios", {"nombre": "M3", "tipo": "digital", "proveedor_id": p2}))[
        "id"
    ]
    ca1 = (
        await post(
            client,
            caller,
            "/campanas",
            {
                "cliente_id": alfa,
                "nombre": "CA1",
                "fecha_inicio": "2024-10-01",
                "fecha_fin": "2024-11-30",
                "presupuesto": "20000.00",
                "status": "activa",
            },
        )
    )["id"]
    await _order(
        client,
        caller,
        "facturada",
        [("10", "800.00", "1000.00")],
        cliente_id=alfa,
        medio_id=m1,
        campana_id=ca1,
        fecha="2024-10-15",
    )
    await _order(
        client,
        caller,
        "completada",
        [("3", "333.33", "450.00"), ("1.5", "99.99", "120.00")],
        cliente_id=alfa,
        medio_id=m2,
        campana_id=ca1,
        fecha="2024-11-05",
    )
    await _order(
        client,
        caller,
        "aprobada",
        [("2500", "0.07", "0.10")],
        cliente_id=beta,
        medio_id=m3,
        fecha="2024-11-20",
    )
    await _order(
        client,
        caller,
        "pendiente",
        [("1", "500.00", "700.00")],
        cliente_id=beta,
        medio_id=m1,
        fecha="2024-11-25",
    )
    await _order(
        client,
        caller,
        "en_ejecucion",
        [("2", "100.00", "90.00")],
        cliente_id=alfa,
        medio_id=m1,
        fecha="2024-11-26",
    )
    await _order(
        client,
        caller,
        "cancelada",
        [("5", "10.00", "20.00")],
        cliente_id=beta,
        medio_id=m2,
        fecha="2024-11-27",
    )
    ids = {"alfa": alfa, "beta": beta, "p1": p1, "p2": p2, "m1": m1, "m2": m2, "m3": m3, "ca1": ca1}
    return caller, ids


def _figures(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[key] for key in keys) for row in rows]


PROFIT = ("nombre", "ordenes", "ingresos", "costo", "margen", "margen_pct")


async def test_profitability_by_client(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]
) -> None:
    caller, _ = fixture
    body = (await get(client, caller, "/reportes/rentabilidad")).json()
    assert _figures(body["data"], *PROFIT) == [
        ("Alfa", 3, "11710.00", "9349.98", "2360.02", "20.15"),
        ("Beta", 1, "250.00", "175.00", "75.00", "30.00"),
    ]
    assert body["totales"] == {
        "ordenes": 4,
        "ingresos": "11960.00",
        "costo": "9524.98",
        "margen": "2435.02",
        "margen_pct": "20.36",
    }


async def test_profitability_by_campaign_medio_and_month(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]
) -> None:
    caller, ids = fixture
    by_campaign = (await get(client, caller, "/reportes/rentabilidad", agrupar_por="campana")).json()["data"]
    assert sorted(_figures(by_campaign, "clave", *PROFIT), key=lambda row: str(row[0])) == sorted(
        [
            (ids["ca1"], "CA1", 2, "11530.00", "9149.98", "2380.02", "20.64"),
            (None, "Sin campaña", 2, "430.00", "375.00", "55.00", "12.79"),
        ],
        key=lambda row: str(row[0]),
    )
    by_medio = (await get(client, caller, "/reportes/rentabilidad", agrupar_por="medio")).json()["data"]
    assert _figures(by_medio, *PROFIT) == [
        ("M1", 2, "10180.00", "8200.00", "1980.00", "19.45"),
        ("M2", 1, "1530.00", "1149.98", "380.02", "24.84"),
        ("M3", 1, "250.00", "175.00", "75.00", "30.00"),
    ]
    by_month = (await get(client, caller, "/reportes/rentabilidad", agrupar_por="periodo")).json()["data"]
    assert _figures(by_month, "clave", "ordenes", "ingresos", "costo", "margen", "margen_pct") == [
        ("2024-10", 1, "10000.00", "8000.00", "2000.00", "20.00"),
        ("2024-11", 3, "1960.00", "1524.98", "435.02", "22.19"),
    ]


async def test_date_range_and_state_filters(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]
) -> None:
    caller, _ = fixture
    november = {"fecha_desde": "2024-11-01", "fecha_hasta": "2024-11-30"}
    body = (await get(client, caller, "/reportes/rentabilidad", **november)).json()
    assert _figures(body["data"], *PROFIT) == [
        ("Alfa", 2, "1710.00", "1349.98", "360.02", "21.05"),
        ("Beta", 1, "250.00", "175.00", "75.00", "30.00"),
    ]
    assert body["filtros"]["fecha_desde"] == "2024-11-01"
    pending = (await get(client, caller, "/reportes/rentabilidad", estado="pendiente")).json()["data"]
    assert _figures(pending, *PROFIT) == [("Beta", 1, "700.00", "500.00", "200.00", "28.57")]
    backwards = await get(
        client, caller, "/reportes/rentabilidad", fecha_desde="2024-11-30", fecha_hasta="2024-11-01"
    )
    assert backwards.status_code == 422
    assert [d["field"] for d in backwards.json()["error"]["details"]] == ["fecha_hasta"]


async def test_investment_by_supplier_and_media_type(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]
) -> None:
    caller, _ = fixture
    body = (await get(client, caller, "/reportes/inversion", agrupar_por="proveedor")).json()
    assert _figures(body["data"], "nombre", "ordenes", "inversion", "participacion_pct") == [
        ("P1", 2, "8200.00", "86.09"),
        ("P2", 2, "1324.98", "13.91"),
    ]
    assert body["totales"] == {"ordenes": 4, "inversion": "9524.98"}
    by_type = (await get(client, caller, "/reportes/inversion", agrupar_por="tipo_medio")).json()["data"]
    assert sorted(_figures(by_type, "clave", "inversion")) == [
        ("digital", "175.00"),
        ("radio", "1149.98"),
        ("tv", "8200.00"),
    ]
    wrong = await get(client, caller, "/reportes/inversion", agrupar_por="cliente")
    assert wrong.status_code == 422
    assert [d["field"] for d in wrong.json()["error"]["details"]] == ["agrupar_por"]


async def test_client_kpis(client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]) -> None:
    caller, _ = fixture
    rows = (await get(client, caller, "/reportes/clientes")).json()["data"]
    keys = ("nombre", "ordenes", "campanas", "ingresos", "margen_pct", "ticket_promedio", "ultima_orden")
    assert _figures(rows, *keys) == [
        ("Alfa", 3, 1, "11710.00", "20.15", "3903.33", "2024-11-26"),
        ("Beta", 1, 0, "250.00", "30.00", "250.00", "2024-11-20"),
    ]
    listed = (await get(client, caller, "/clientes")).json()["data"]
    assert {row["nombre"]: row["rentabilidad_promedio"] for row in listed} == {
        "Alfa": "20.15",
        "Beta": "30.00",
    }


async def test_medio_performance(client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]) -> None:
    caller, _ = fixture
    rows = (await get(client, caller, "/reportes/medios")).json()["data"]
    keys = ("nombre", "tipo", "proveedor", "ordenes", "clientes", "ingresos", "margen", "participacion_pct")
    assert _figures(rows, *keys) == [
        ("M1", "tv", "P1", 2, 1, "10180.00", "1980.00", "85.12"),
        ("M2", "radio", "P2", 1, 1, "1530.00", "380.02", "12.79"),
        ("M3", "digital", "P2", 1, 1, "250.00", "75.00", "2.09"),
    ]


async def test_dashboard(client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]) -> None:
    caller, _ = fixture
    data = (await get(client, caller, "/analytics/dashboard")).json()["data"]
    assert data["totales"]["ingresos"] == "11960.00"
    assert data["totales"]["margen_pct"] == "20.36"
    assert data["ordenes_por_estado"] == {
        "pendiente": {"ordenes": 1, "total": "700.00"},
        "aprobada": {"ordenes": 1, "total": "250.00"},
        "en_ejecucion": {"ordenes": 1, "total": "180.00"},
        "completada": {"ordenes": 1, "total": "1530.00"},
        "facturada": {"ordenes": 1, "total": "10000.00"},
        "cancelada": {"ordenes": 1, "total": "100.00"},
    }
    assert (data["clientes_activos"], data["campanas_activas"]) == (2, 1)
    assert [row["nombre"] for row in data["top_clientes"]] == ["Alfa", "Beta"]
    assert [row["clave"] for row in data["por_periodo"]] == ["2024-10", "2024-11"]


@pytest.mark.parametrize(
    "path",
    [
        "/reportes/rentabilidad",
        "/reportes/inversion",
        "/reportes/clientes",
        "/reportes/medios",
        "/analytics/dashboard",
    ],
)
async def test_every_report_streams_csv(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]], path: str
) -> None:
    caller, _ = fixture
    response = await get(client, caller, path, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) > 2
    assert all(len(row) == len(rows[0]) for row in rows)


async def test_profitability_csv_has_the_same_figures(
    client: httpx.AsyncClient, fixture: tuple[Caller, dict[str, int]]
) -> None:
    caller, _ = fixture
    response = await get(client, caller, "/reportes/rentabilidad", agrupar_por="medio", format="csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["nombre"], r["ingresos"], r["margen_pct"]) for r in rows] == [
        ("M1", "10180.00", "19.45"),
        ("M2", "1530.00", "24.84"),
        ("M3", "250.00", "30.00"),
    ]


async def test_reports_need_their_scope(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings, scopes=["read:ordenes"])
    assert (await get(client, caller, "/reportes/rentabilidad")).status_code == 403
    assert (await get(client, caller, "/analytics/dashboard")).status_code == 403
    reporter = await media_caller(database, settings, scopes=["read:reportes"])
    unknown_format = await get(client, reporter, "/reportes/rentabilidad", format="xml")
    assert unknown_format.status_code == 422
    assert [d["field"] for d in unknown_format.json()["error"]["details"]] == ["format"]


async def test_reports_see_only_the_callers_tenant(
    client: httpx.AsyncClient, database: Database, settings: Settings, fixture: tuple[Caller, dict[str, int]]
) -> None:
    other = await media_caller(database, settings)
    body = (await get(client, other, "/reportes/rentabilidad")).json()
    assert body["data"] == []
    assert body["totales"]["ingresos"] == "0.00"
    assert (await get(client, other, "/reportes/clientes")).json()["data"] == []
