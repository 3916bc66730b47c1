"""`/ordenes`: priced lines, validation that names the field, the state machine, filters, events."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select
from tests.media.support import BASE, catalog, get, media_caller, order_body, post, put

from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants


def _fields(response: httpx.Response) -> set[str]:
    return {detail["field"] for detail in response.json()["error"]["details"]}


async def _events(database: Database, orden_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the outbox")
        rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        return [(row.name, row.payload) for row in rows if row.payload.get("orden_id") == orden_id]


async def test_order_totals_cost_and_margin_are_exact(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    body = order_body(cat, ("3", "10.00", "12.50"), ("0.5", "0.05", "0.05"), ("2.25", "1500.00", "1999.99"))
    orden = await post(client, caller, "/ordenes", body)
    assert orden["estado"] == "pendiente"
    assert [item["importe"] for item in orden["items"]] == ["37.50", "0.03", "4499.98"]
    assert [item["costo"] for item in orden["items"]] == ["30.00", "0.03", "3375.00"]
    assert orden["total"] == "4537.51"
    assert orden["costo"] == "3405.03"
    assert orden["margen"] == "1132.48"
    assert orden["margen_pct"] == "24.96"
    assert orden["proveedor_id"] == cat.proveedor["id"]  # taken from the medio
    assert orden["cliente"] == {"id": cat.cliente["id"], "nombre": "Cliente Uno", "rfc": None}
    assert orden["medio"]["tipo"] == "tv"


async def test_a_line_can_take_its_prices_from_the_rate_card(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    tarifa = cat.medio["tarifas"][0]
    body = {**order_body(cat), "items": [{"tarifa_id": tarifa["id"], "cantidad": 4}]}
    orden = await post(client, caller, "/ordenes", body)
    [item] = orden["items"]
    assert item["descripcion"] == "Spot 20s"
    assert (item["importe"], item["costo"]) == ("4000.00", "3200.00")


async def test_negative_quantity_is_refused_naming_the_line(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    response = await client.post(
        f"{BASE}/ordenes",
        json=order_body(cat, ("1", "1.00", "2.00"), ("-2", "1.00", "2.00")),
        headers=caller.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert _fields(response) == {"items.1.cantidad"}
    assert (await get(client, caller, "/ordenes")).json()["meta"]["total"] == 0


async def test_unknown_medio_is_refused_naming_medio_id(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    response = await client.post(
        f"{BASE}/ordenes", json={**order_body(cat), "medio_id": 9999}, headers=caller.headers
    )
    assert response.status_code == 422
    assert _fields(response) == {"medio_id"}


async def test_another_tenants_medio_is_as_unknown_as_a_missing_one(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    ours, theirs = await media_caller(database, settings), await media_caller(database, settings)
    cat = await catalog(client, ours)
    foreign = await catalog(client, theirs)
    body = {**order_body(cat), "medio_id": foreign.medio["id"]}
    response = await client.post(f"{BASE}/ordenes", json=body, headers=ours.headers)
    assert response.status_code == 422
    assert _fields(response) == {"medio_id"}


async def test_flight_dates_ending_before_they_start_are_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    body = order_body(cat, fecha_inicio="2024-11-10", fecha_fin="2024-11-01")
    response = await client.post(f"{BASE}/ordenes", json=body, headers=caller.headers)
    assert response.status_code == 422
    assert _fields(response) == {"fecha_fin"}


async def test_a_list_filter_ending_before_it_starts_is_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    response = await get(client, caller, "/ordenes", fecha_desde="2024-11-30", fecha_hasta="2024-11-01")
    assert response.status_code == 422
    assert _fields(response) == {"fecha_hasta"}


async def test_bad_input_shapes_get_422_naming_the_field(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    cases: list[tuple[dict[str, Any], str]] = [
        ({**order_body(cat), "items": []}, "items"),
        (order_body(cat, ("1", "1.001", "2.00")), "items.0.costo_unitario"),
        (order_body(cat, ("1", "1.00", "-2.00")), "items.0.precio_unitario"),
        ({**order_body(cat), "descuento": 5}, "descuento"),
        ({**order_body(cat), "cliente_id": 424242}, "cliente_id"),
        ({**order_body(cat), "items": [{"cantidad": 1}]}, "items.0.costo_unitario"),
        # Amounts a 64-bit cents column could not hold: refused, never a 500.
        (order_body(cat, ("9999999999", "1.00", "9999999999999.00")), "items.0.cantidad"),
        (order_body(cat, *[("1", "1.00", "6000000000000.00")] * 2), "items"),
    ]
    for body, field in cases:
        response = await client.post(f"{BASE}/ordenes", json=body, headers=caller.headers)
        assert response.status_code == 422, (field, response.text)
        assert field in _fields(response), (field, response.text)


async def test_the_lifecycle_runs_to_invoiced_and_emits_each_event(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    for estado in ("aprobada", "en_ejecucion", "completada"):
        response = await put(client, caller, f"/ordenes/{orden['id']}", {"estado": estado})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["estado"] == estado
    response = await put(
        client, caller, f"/ordenes/{orden['id']}", {"estado": "facturada", "factura_folio": "A-1"}
    )
    assert response.json()["data"]["factura_folio"] == "A-1"
    names = [name for name, _ in await _events(database, orden["id"])]
    assert names == [
        "orden.creada",
        "orden.actualizada",
        "orden.actualizada",
        "orden.actualizada",
        "orden.completada",
        "orden.actualizada",
        "orden.facturada",
    ]
    created = (await _events(database, orden["id"]))[0][1]
    assert {key: created[key] for key in ("orden_id", "cliente_id", "estado")} == {
        "orden_id": orden["id"],
        "cliente_id": cat.cliente["id"],
        "estado": "pendiente",
    }


async def test_an_illegal_state_change_is_409_naming_both_states(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    response = await put(client, caller, f"/ordenes/{orden['id']}", {"estado": "facturada"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "INVALID_STATE_TRANSITION"
    assert [d["field"] for d in error["details"]] == ["estado"]
    assert "'pendiente'" in error["message"] and "'facturada'" in error["message"]
    assert (await get(client, caller, f"/ordenes/{orden['id']}")).json()["data"]["estado"] == "pendiente"
    assert [name for name, _ in await _events(database, orden["id"])] == ["orden.creada"]


async def test_an_unknown_state_is_a_validation_error(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    response = await put(client, caller, f"/ordenes/{orden['id']}", {"estado": "archivada"})
    assert response.status_code == 422
    assert _fields(response) == {"estado"}


async def test_lines_change_while_editable_and_lock_once_running(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    new_lines = {"items": [{"cantidad": "2", "costo_unitario": "10.00", "precio_unitario": "15.00"}]}
    response = await put(client, caller, f"/ordenes/{orden['id']}", new_lines)
    assert response.status_code == 200
    assert response.json()["data"]["total"] == "30.00"
    assert len(response.json()["data"]["items"]) == 1
    await put(client, caller, f"/ordenes/{orden['id']}", {"estado": "aprobada"})
    await put(client, caller, f"/ordenes/{orden['id']}", {"estado": "en_ejecucion"})
    response = await put(client, caller, f"/ordenes/{orden['id']}", new_lines)
    assert response.status_code == 409
    assert _fields(response) == {"items"}
    # A description stays editable: it changes nothing that was bought.
    response = await put(client, caller, f"/ordenes/{orden['id']}", {"descripcion": "Pauta noviembre"})
    assert response.status_code == 200


async def test_null_for_a_required_field_is_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    response = await put(client, caller, f"/ordenes/{orden['id']}", {"medio_id": None})
    assert response.status_code == 422
    assert _fields(response) == {"medio_id"}


async def test_a_campaign_of_another_client_is_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    otro = await post(client, caller, "/clientes", {"nombre": "Otro"})
    campana = await post(
        client,
        caller,
        "/campanas",
        {
            "cliente_id": otro["id"],
            "nombre": "X",
            "fecha_inicio": "2024-11-01",
            "fecha_fin": "2024-11-30",
            "presupuesto": "100.00",
        },
    )
    response = await client.post(
        f"{BASE}/ordenes", json={**order_body(cat), "campaña_id": campana["id"]}, headers=caller.headers
    )
    assert response.status_code == 422
    assert _fields(response) == {"campana_id"}


async def test_filters_select_by_state_dates_client_and_campaign(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    campana = await post(
        client,
        caller,
        "/campañas",
        {
            "cliente_id": cat.cliente["id"],
            "nombre": "Buen Fin",
            "fecha_inicio": "2024-11-01",
            "fecha_fin": "2024-11-30",
            "presupuesto": "50000.00",
        },
    )
    otro = await post(client, caller, "/clientes", {"nombre": "Otro"})
    ids = {}
    for name, fecha, extra in (
        ("oct", "2024-10-31", {}),
        ("nov1", "2024-11-01", {"campana_id": campana["id"]}),
        ("nov30", "2024-11-30", {}),
        ("dic", "2024-12-01", {}),
    ):
        ids[name] = (await post(client, caller, "/ordenes", order_body(cat, fecha=fecha, **extra)))["id"]
    ids["otro"] = (
        await post(
            client, caller, "/ordenes", {**order_body(cat), "cliente_id": otro["id"], "fecha": "2024-11-15"}
        )
    )["id"]
    await put(client, caller, f"/ordenes/{ids['nov30']}", {"estado": "aprobada"})

    async def listed(**params: Any) -> set[int]:
        response = await get(client, caller, "/ordenes", **params)
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["data"]}

    november = {"fecha_desde": "2024-11-01", "fecha_hasta": "2024-11-30"}
    assert await listed(**november) == {ids["nov1"], ids["nov30"], ids["otro"]}
    assert await listed(**november, estado="aprobada") == {ids["nov30"]}
    assert await listed(cliente_id=otro["id"]) == {ids["otro"]}
    assert await listed(**{"campaña_id": campana["id"]}) == {ids["nov1"]}
    assert await listed(campana_id=campana["id"]) == {ids["nov1"]}
    client_orders = await get(client, caller, f"/clientes/{cat.cliente['id']}/ordenes")
    assert {row["id"] for row in client_orders.json()["data"]} == {
        ids["oct"],
        ids["nov1"],
        ids["nov30"],
        ids["dic"],
    }


async def test_pages_cover_every_order_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    for day in range(1, 6):
        await post(client, caller, "/ordenes", order_body(cat, fecha=f"2024-11-0{day}"))
    seen = []
    for page in (1, 2, 3):
        body = (await get(client, caller, "/ordenes", page=page, limit=2)).json()
        assert body["meta"] == {"page": page, "limit": 2, "total": 5, "total_pages": 3}
        seen += [row["fecha"] for row in body["data"]]
    assert seen == [f"2024-11-0{day}" for day in range(5, 0, -1)]


async def test_another_tenants_order_is_not_found(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    ours, theirs = await media_caller(database, settings), await media_caller(database, settings)
    orden = await post(client, ours, "/ordenes", order_body(await catalog(client, ours)))
    assert (await get(client, theirs, f"/ordenes/{orden['id']}")).status_code == 404
    assert (await put(client, theirs, f"/ordenes/{orden['id']}", {"estado": "cancelada"})).status_code == 404
    assert (await get(client, theirs, "/ordenes")).json()["data"] == []
    assert (await get(client, ours, f"/ordenes/{orden['id']}")).json()["data"]["estado"] == "pendiente"


async def test_scopes_gate_reading_and_writing(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    reader = await media_caller(database, settings, scopes=["read:ordenes"])
    assert (await get(client, reader, "/ordenes")).status_code == 200
    response = await client.post(f"{BASE}/ordenes", json={}, headers=reader.headers)
    assert response.status_code == 403
    assert "write:ordenes" in response.json()["error"]["message"]
    assert (await client.get(f"{BASE}/ordenes")).status_code == 401


async def test_concurrent_state_changes_are_checked_one_after_the_other(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    caller = await media_caller(database, settings)
    cat = await catalog(client, caller)
    orden = await post(client, caller, "/ordenes", order_body(cat))
    for estado in ("aprobada", "en_ejecucion"):
        await put(client, caller, f"/ordenes/{orden['id']}", {"estado": estado})
    path = f"{BASE}/ordenes/{orden['id']}"
    completed, cancelled = await asyncio.gather(
        client.put(path, json={"estado": "completada"}, headers=caller.headers),
        client.put(path, json={"estado": "cancelada"}, headers=caller.headers),
    )
    assert sorted([completed.status_code, cancelled.status_code]) == [200, 409]
    final = (await get(client, caller, f"/ordenes/{orden['id']}")).json()["data"]["estado"]
    winner = completed if completed.status_code == 200 else cancelled
    assert final == winner.json()["data"]["estado"]
