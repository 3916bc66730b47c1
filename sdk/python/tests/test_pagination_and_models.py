"""`listar()` walks every page lazily; models decode money as Decimal and dates as dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from nexo_media import Client, Orden

BASE = "https://api.example.test/media/v2"


def _orden(orden_id: int) -> dict[str, Any]:
    return {
        "id": orden_id,
        "estado": "completada",
        "cliente_id": 7,
        "cliente": {"id": 7, "nombre": "Alfa", "rfc": None},
        "campana_id": None,
        "medio_id": 2,
        "medio": {"id": 2, "nombre": "Canal 5", "tipo": "tv"},
        "proveedor_id": 3,
        "fecha": "2024-11-05",
        "items": [
            {
                "id": 1,
                "posicion": 1,
                "descripcion": "Spot",
                "tarifa_id": None,
                "cantidad": "3.00",
                "costo_unitario": "10.00",
                "precio_unitario": "12.50",
                "importe": "37.50",
                "costo": "30.00",
            }
        ],
        "total": "37.50",
        "costo": "30.00",
        "margen": "7.50",
        "margen_pct": "20.00",
        "created_at": "2024-11-05T10:00:00Z",
        "campo_nuevo": "ignored by older clients",
    }


def test_listing_walks_every_page_and_sends_filters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params["page"])
        rows = [_orden(page * 10 + n) for n in range(2 if page < 3 else 1)]
        return httpx.Response(
            200, json={"data": rows, "meta": {"page": page, "limit": 2, "total": 5, "total_pages": 3}}
        )

    client = Client(
        api_key="k", base_url=BASE, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    ordenes = client.ordenes.listar(
        estado="completada", fecha_desde=date(2024, 11, 1), fecha_hasta="2024-11-30", page_size=2
    )
    assert seen == []  # nothing is fetched before iterating
    ids = [orden.id for orden in ordenes]
    assert ids == [10, 11, 20, 21, 30]
    assert dict(seen[0].url.params) == {
        "limit": "2",
        "estado": "completada",
        "fecha_desde": "2024-11-01",
        "fecha_hasta": "2024-11-30",
        "page": "1",
    }
    assert ordenes.meta is not None and ordenes.meta.total == 5


def test_orders_decode_to_typed_models() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": _orden(1)})

    client = Client(
        api_key="k", base_url=BASE, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    orden = client.ordenes.obtener(1)
    assert isinstance(orden, Orden)
    assert orden.total == Decimal("37.50") and isinstance(orden.total, Decimal)
    assert orden.fecha == date(2024, 11, 5)
    assert orden.items[0].cantidad == Decimal("3.00")
    assert orden.cliente.nombre == "Alfa"
    assert orden.created_at is not None and orden.created_at.utcoffset() is not None
    assert orden.margen_pct == Decimal("20.00")


def test_the_spec_import_name_works() -> None:
    import pautapro_client

    assert pautapro_client.Client is Client
