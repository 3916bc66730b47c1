"""Retries on 429 and 503 honour Retry-After; errors map to their classes; POSTs are idempotent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from nexo_media import Client, ConflictError, NotFoundError, RateLimitError, ServerError, ValidationError
from nexo_media.transport import retry_after_seconds

BASE = "https://api.example.test/media/v2"
EMPTY_PAGE = {"data": [], "meta": {"page": 1, "limit": 100, "total": 0, "total_pages": 0}}


def _client(
    handler: Callable[[httpx.Request], httpx.Response], waits: list[float], **kwargs: object
) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(api_key="k", base_url=BASE, http_client=http, sleep=waits.append, **kwargs)  # type: ignore[arg-type]


def _scripted(
    *responses: httpx.Response,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return handler, seen


def test_429_is_retried_after_the_seconds_the_server_asks() -> None:
    handler, seen = _scripted(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=EMPTY_PAGE)
    )
    waits: list[float] = []
    assert list(_client(handler, waits).clientes.listar()) == []
    assert waits == [7.0]
    assert len(seen) == 2


def test_503_with_an_http_date_waits_until_then() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    handler, _ = _scripted(
        httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}),
        httpx.Response(200, json=EMPTY_PAGE),
    )
    waits: list[float] = []
    list(_client(handler, waits).clientes.listar())
    assert len(waits) == 1 and 25 <= waits[0] <= 30


def test_without_retry_after_it_backs_off_exponentially() -> None:
    handler, _ = _scripted(httpx.Response(503), httpx.Response(503), httpx.Response(200, json=EMPTY_PAGE))
    waits: list[float] = []
    list(_client(handler, waits).ordenes.listar())
    assert waits == [0.5, 1.0]


def test_waits_are_capped() -> None:
    handler, _ = _scripted(
        httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json=EMPTY_PAGE)
    )
    waits: list[float] = []
    list(_client(handler, waits, max_retry_wait=5.0).clientes.listar())
    assert waits == [5.0]


def test_gives_up_after_max_retries_with_the_typed_error() -> None:
    body = {
        "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow down", "details": [], "requestId": "req_1"}
    }
    handler, seen = _scripted(*[httpx.Response(429, json=body, headers={"Retry-After": "1"})] * 3)
    waits: list[float] = []
    with pytest.raises(RateLimitError) as caught:
        list(_client(handler, waits, max_retries=2).clientes.listar())
    assert len(seen) == 3 and waits == [1.0, 1.0]
    assert caught.value.request_id == "req_1"


def test_other_errors_are_not_retried() -> None:
    handler, seen = _scripted(httpx.Response(500, json={"error": {"code": "INTERNAL_ERROR", "message": "x"}}))
    with pytest.raises(ServerError):
        _client(handler, []).clientes.obtener(1)
    assert len(seen) == 1


def test_error_envelope_becomes_typed_errors_with_fields() -> None:
    envelope = {
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "items.0.cantidad: Input should be greater than 0",
            "details": [{"field": "items.0.cantidad", "message": "Input should be greater than 0"}],
            "requestId": "req_2",
        }
    }
    handler, _ = _scripted(
        httpx.Response(422, json=envelope),
        httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "No existe", "details": []}}),
        httpx.Response(
            409, json={"error": {"code": "INVALID_STATE_TRANSITION", "message": "no", "details": []}}
        ),
    )
    client = _client(handler, [])
    with pytest.raises(ValidationError) as invalid:
        client.ordenes.crear(cliente_id=1, medio_id=1, items=[{"cantidad": -1}])
    assert invalid.value.fields() == {"items.0.cantidad"}
    assert invalid.value.status_code == 422
    with pytest.raises(NotFoundError):
        client.ordenes.obtener(99)
    with pytest.raises(ConflictError) as conflict:
        client.ordenes.cambiar_estado(1, "facturada")
    assert conflict.value.code == "INVALID_STATE_TRANSITION"


def test_a_retried_post_keeps_its_idempotency_key() -> None:
    created = {"data": {"id": 1, "nombre": "Alfa", "status": "activo"}}
    handler, seen = _scripted(
        httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(201, json=created)
    )
    cliente = _client(handler, []).clientes.crear(nombre="Alfa")
    assert cliente.nombre == "Alfa"
    keys = {request.headers["Idempotency-Key"] for request in seen}
    assert len(keys) == 1 and len(seen) == 2


def test_requests_carry_the_api_key_and_json_safe_values() -> None:
    from decimal import Decimal

    handler, seen = _scripted(
        httpx.Response(201, json={"data": {"id": 3, "nombre": "X", "status": "activo"}})
    )
    _client(handler, []).agencias.crear(nombre="X", comision_pct=Decimal("12.50"))
    assert seen[0].headers["Authorization"] == "Bearer k"
    assert seen[0].content == b'{"nombre":"X","comision_pct":"12.50"}'


@pytest.mark.parametrize(
    ("header", "expected"), [("12", 12.0), ("", None), (None, None), ("soon", None), ("0", 0.0)]
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_in_the_past_means_now() -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    assert retry_after_seconds(past) == 0.0
