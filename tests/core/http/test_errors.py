"""Every error on every surface comes back in the envelope, with the right status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum

import httpx
import pytest
from pydantic import Field
from sqlalchemy import text
from tests.support import TEST_DATABASE, http_client

from nexo.app import NexoApplication
from nexo.core.errors import (
    Conflict,
    ErrorDetail,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from nexo.core.http.deps import SessionDep
from nexo.core.http.schemas import CamelStrictBody, StrictBody
from nexo.surfaces import SURFACES
from nexo.surfaces.base import surface_router

VALIDATION_STATUS = {"media": 422, "crm": 422, "collections": 400, "tasks": 422, "platform": 422}


class Priority(StrEnum):
    low = "low"
    high = "high"


class ItemBody(StrictBody):
    title: str = Field(min_length=1, max_length=50)
    quantity: int
    priority: Priority = Priority.low


class CamelItemBody(CamelStrictBody):
    full_name: str


def probe_router() -> object:
    router = surface_router(prefix="/probe")

    @router.post("/items", status_code=201)
    async def create_item(body: ItemBody) -> dict[str, object]:
        return {"title": body.title, "quantity": body.quantity}

    @router.post("/camel", status_code=201)
    async def create_camel(body: CamelItemBody) -> dict[str, str]:
        return {"fullName": body.full_name}

    @router.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, int]:
        if item_id == 404:
            raise NotFound("Item 404 does not exist.")
        return {"id": item_id}

    @router.get("/out-of-range")
    async def out_of_range(session: SessionDep) -> dict[str, int]:
        value = await session.scalar(text("SELECT CAST(:x AS INTEGER)"), {"x": 454528408826663})
        return {"value": int(value or 0)}

    @router.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        errors = {
            "401": Unauthorized(),
            "403": Forbidden("Missing permission chats.read."),
            "409": Conflict("Task is completed; reopen it first."),
            "429": RateLimited(headers={"Retry-After": "30"}),
            "validation": ValidationFailed(details=[ErrorDetail("email", "is required")]),
        }
        if kind in errors:
            raise errors[kind]
        raise RuntimeError("boom: an unexpected bug")

    return router


@pytest.fixture
async def probe(make_app: object) -> AsyncIterator[httpx.AsyncClient]:
    application: NexoApplication = make_app(  # type: ignore[operator]
        extra_routers={spec.name: [probe_router()] for spec in SURFACES}, max_body_bytes=2048
    )
    async with http_client(application) as client:
        yield client


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    assert error["requestId"] == response.headers["x-request-id"]
    return dict(error)


@pytest.mark.parametrize("spec", SURFACES, ids=lambda spec: spec.name)
async def test_validation_status_follows_each_surface(probe: httpx.AsyncClient, spec: object) -> None:
    base = spec.base  # type: ignore[attr-defined]
    response = await probe.post(f"{base}/probe/items", json={"title": "", "quantity": "many"})
    error = assert_envelope(response, VALIDATION_STATUS[spec.name], "VALIDATION_ERROR")  # type: ignore[attr-defined]
    fields = {detail["field"] for detail in error["details"]}  # type: ignore[attr-defined]
    assert fields == {"title", "quantity"}


@pytest.mark.parametrize("spec", SURFACES, ids=lambda spec: spec.name)
async def test_domain_errors_keep_their_status(probe: httpx.AsyncClient, spec: object) -> None:
    base = spec.base  # type: ignore[attr-defined]
    assert_envelope(await probe.get(f"{base}/probe/fail/401"), 401, "UNAUTHORIZED")
    assert_envelope(await probe.get(f"{base}/probe/fail/403"), 403, "FORBIDDEN")
    assert_envelope(await probe.get(f"{base}/probe/items/404"), 404, "NOT_FOUND")
    assert_envelope(await probe.get(f"{base}/probe/fail/409"), 409, "CONFLICT")
    limited = await probe.get(f"{base}/probe/fail/429")
    assert_envelope(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert limited.headers["retry-after"] == "30"


async def test_unauthorized_asks_for_bearer(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/crm/v1/probe/fail/401")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_explicit_validation_error_uses_surface_status(probe: httpx.AsyncClient) -> None:
    error = assert_envelope(await probe.get("/collections/v1/probe/fail/validation"), 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "email", "message": "is required"}]
    assert_envelope(await probe.get("/crm/v1/probe/fail/validation"), 422, "VALIDATION_ERROR")


async def test_unknown_route_and_method(probe: httpx.AsyncClient) -> None:
    assert_envelope(await probe.get("/crm/v1/no-such-thing"), 404, "NOT_FOUND")
    assert_envelope(await probe.get("/nowhere"), 404, "NOT_FOUND")
    response = await probe.delete("/tasks/v1/probe/items/1")
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["allow"]


async def test_path_parameter_of_wrong_type(probe: httpx.AsyncClient) -> None:
    error = assert_envelope(await probe.get("/crm/v1/probe/items/abc"), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "item_id"  # type: ignore[index]


async def test_malformed_json_is_400_everywhere(probe: httpx.AsyncClient) -> None:
    for base in ("/crm/v1", "/collections/v1"):
        response = await probe.post(
            f"{base}/probe/items", content=b'{"title": "x",', headers={"content-type": "application/json"}
        )
        assert_envelope(response, 400, "INVALID_JSON")


async def test_unknown_enum_value_and_unknown_field(probe: httpx.AsyncClient) -> None:
    bad_enum = await probe.post(
        "/tasks/v1/probe/items", json={"title": "a", "quantity": 1, "priority": "urgent"}
    )
    error = assert_envelope(bad_enum, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "priority"  # type: ignore[index]
    extra = await probe.post("/tasks/v1/probe/items", json={"title": "a", "quantity": 1, "colour": "red"})
    error = assert_envelope(extra, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "colour"  # type: ignore[index]


async def test_camel_surfaces_take_camel_case_only(probe: httpx.AsyncClient) -> None:
    ok = await probe.post("/collections/v1/probe/camel", json={"fullName": "Ana"})
    assert ok.status_code == 201 and ok.json() == {"fullName": "Ana"}
    snake = await probe.post("/collections/v1/probe/camel", json={"full_name": "Ana"})
    error = assert_envelope(snake, 400, "VALIDATION_ERROR")
    assert {d["field"] for d in error["details"]} == {"fullName", "full_name"}  # type: ignore[attr-defined]


async def test_wrong_media_type_is_415(probe: httpx.AsyncClient) -> None:
    response = await probe.post(
        "/media/v2/probe/items", content=b"title=a&quantity=1", headers={"content-type": "text/plain"}
    )
    assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_body_over_limit_is_413_by_header(probe: httpx.AsyncClient) -> None:
    response = await probe.post("/crm/v1/probe/items", json={"title": "x" * 5000, "quantity": 1})
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_over_limit_is_413_when_streamed(probe: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'", "quantity": 1}'

    response = await probe.post(
        "/crm/v1/probe/items", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


async def test_unexpected_error_is_500_envelope_without_internals(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/api/probe/fail/bug")
    error = assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "boom" not in str(error["message"])


async def test_request_id_is_echoed_or_made(probe: httpx.AsyncClient) -> None:
    echoed = await probe.get("/crm/v1/probe/items/404", headers={"X-Request-Id": "client-req-42"})
    assert echoed.headers["x-request-id"] == "client-req-42"
    assert echoed.json()["error"]["requestId"] == "client-req-42"
    unsafe = await probe.get("/crm/v1/probe/items/1", headers={"X-Request-Id": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"].startswith("req_")
    made = await probe.get("/crm/v1/probe/items/1")
    assert made.headers["x-request-id"].startswith("req_")
    assert made.headers["x-request-id"] != unsafe.headers["x-request-id"]


async def test_nul_characters_are_refused_before_reaching_the_database(probe: httpx.AsyncClient) -> None:
    in_body = await probe.post("/collections/v1/probe/items", json={"title": "a\u0000b", "quantity": 1})
    error = assert_envelope(in_body, 400, "VALIDATION_ERROR")
    assert error["details"] == [{"field": "body", "message": "contains a NUL character"}]
    in_query = await probe.get("/crm/v1/probe/items/1?search=a%00b")
    assert_envelope(in_query, 422, "VALIDATION_ERROR")


async def test_ids_beyond_the_column_range_are_simply_not_found(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/crm/v1/probe/items/4611686018427387904")
    assert_envelope(response, 404, "NOT_FOUND")
    assert (await probe.get("/crm/v1/probe/items/2147483647")).status_code == 200


async def test_values_the_database_cannot_hold_are_a_client_error(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/collections/v1/probe/out-of-range")
    if TEST_DATABASE == "postgresql":  # SQLite integers are 64-bit and the value fits
        assert_envelope(response, 400, "VALUE_OUT_OF_RANGE")
    else:
        assert response.status_code == 200
