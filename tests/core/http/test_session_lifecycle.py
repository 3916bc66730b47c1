"""The request's transaction: committed when the endpoint succeeds, rolled back otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from tests.support import TEST_DATABASE, http_client

from nexo.app import NexoApplication
from nexo.core.errors import Conflict
from nexo.core.http.deps import SessionDep
from nexo.core.http.schemas import StrictBody
from nexo.surfaces.base import surface_router
from nexo.tenants.models import Tenant


class NewTenant(StrictBody):
    slug: str
    name: str


def lifecycle_router() -> object:
    router = surface_router(prefix="/lifecycle")

    @router.post("/ok", status_code=201)
    async def create_ok(body: NewTenant, session: SessionDep) -> dict[str, str]:
        session.add(Tenant(slug=body.slug, name=body.name))
        return {"slug": body.slug}

    @router.post("/raises")
    async def create_then_raise(body: NewTenant, session: SessionDep) -> None:
        session.add(Tenant(slug=body.slug, name=body.name))
        await session.flush()
        raise Conflict("changed my mind")

    @router.post("/error-status")
    async def create_then_error_status(body: NewTenant, session: SessionDep) -> JSONResponse:
        session.add(Tenant(slug=body.slug, name=body.name))
        await session.flush()
        return JSONResponse({"detail": "refused"}, status_code=400)

    @router.post("/duplicate", status_code=201)
    async def create_duplicate(body: NewTenant, session: SessionDep) -> dict[str, str]:
        # The unique violation surfaces at commit time, after the endpoint returned.
        session.add(Tenant(slug=body.slug, name=body.name))
        return {"slug": body.slug}

    @router.get("/write-in-get")
    async def write_in_get(session: SessionDep) -> dict[str, str]:
        session.add(Tenant(slug="from-get", name="GET must not write"))
        await session.flush()
        return {"wrote": "yes"}

    @router.get("/backend")
    async def backend_pid(session: SessionDep) -> dict[str, int]:
        return {"pid": int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)}

    return router


@pytest.fixture
async def lifecycle(make_app: object) -> AsyncIterator[tuple[httpx.AsyncClient, NexoApplication]]:
    application: NexoApplication = make_app(extra_routers={"crm": [lifecycle_router()]})  # type: ignore[operator]
    async with http_client(application) as client:
        yield client, application


async def count_tenants(application: NexoApplication) -> int:
    async with application.runtime.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)


async def test_success_commits(lifecycle: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = lifecycle
    response = await client.post("/crm/v1/lifecycle/ok", json={"slug": "a", "name": "A"})
    assert response.status_code == 201
    assert await count_tenants(application) == 1


async def test_raised_error_rolls_back(lifecycle: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = lifecycle
    response = await client.post("/crm/v1/lifecycle/raises", json={"slug": "b", "name": "B"})
    assert response.status_code == 409
    assert await count_tenants(application) == 0


async def test_error_status_rolls_back(lifecycle: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = lifecycle
    response = await client.post("/crm/v1/lifecycle/error-status", json={"slug": "c", "name": "C"})
    assert response.status_code == 400
    assert await count_tenants(application) == 0


async def test_commit_failure_is_an_error_not_a_false_success(
    lifecycle: tuple[httpx.AsyncClient, NexoApplication],
) -> None:
    client, application = lifecycle
    assert (
        await client.post("/crm/v1/lifecycle/duplicate", json={"slug": "d", "name": "D"})
    ).status_code == 201
    again = await client.post("/crm/v1/lifecycle/duplicate", json={"slug": "d", "name": "D2"})
    assert again.status_code >= 400
    assert "error" in again.json()
    assert await count_tenants(application) == 1


@pytest.mark.skipif(TEST_DATABASE != "sqlite", reason="read-only GET sessions are enforced by SQLite")
async def test_get_requests_cannot_write_on_sqlite(
    lifecycle: tuple[httpx.AsyncClient, NexoApplication],
) -> None:
    client, application = lifecycle
    response = await client.get("/crm/v1/lifecycle/write-in-get")
    assert response.status_code == 500
    assert await count_tenants(application) == 0


@pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="kills a PostgreSQL server connection")
async def test_a_lost_database_connection_is_a_503_and_the_next_request_reconnects(
    lifecycle: tuple[httpx.AsyncClient, NexoApplication],
) -> None:
    client, application = lifecycle
    first = await client.get("/crm/v1/lifecycle/backend")
    assert first.status_code == 200, first.text
    admin = await asyncpg.connect(
        make_url(application.runtime.settings.database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    try:  # outside the application's pool, which holds the connection the request used
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first.json()["pid"]) is True
    finally:
        await admin.close()

    lost = await client.get("/crm/v1/lifecycle/backend")
    assert lost.status_code == 503, lost.text
    assert lost.headers["retry-after"] == "1"
    assert lost.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    again = await client.get("/crm/v1/lifecycle/backend")
    assert again.status_code == 200 and again.json()["pid"] != first.json()["pid"]
