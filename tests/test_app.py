"""App assembly: the five surfaces by path and by host, docs, health and readiness, CORS."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from nexo.app import NexoApplication
from nexo.core.settings import Settings
from nexo.surfaces import SURFACES
from nexo.surfaces.base import surface_router
from tests.support import TEST_DATABASE, drop_postgres_database, fresh_database_url, http_client

DOCS = {
    "media": "/media/v2/docs",
    "crm": "/crm/v1/docs",
    "collections": "/collections/v1/docs",
    "tasks": "/tasks/v1/docs",
    "platform": "/api/docs",
}


@pytest.mark.parametrize("spec", SURFACES, ids=lambda spec: spec.name)
async def test_each_surface_serves_its_docs(client: httpx.AsyncClient, spec: object) -> None:
    docs = DOCS[spec.name]  # type: ignore[attr-defined]
    document = await client.get(f"{docs}/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == spec.title  # type: ignore[attr-defined]
    ui = await client.get(docs)
    assert ui.status_code == 200
    assert f"{docs}/openapi.json" in ui.text  # Swagger UI loads the document from the right place


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


async def test_unmigrated_database_is_not_ready(make_app: object, tmp_path: Path) -> None:
    url = await fresh_database_url(tmp_path)
    application: NexoApplication = make_app(database_url=url)  # type: ignore[operator]
    try:
        async with http_client(application) as client:
            response = await client.get("/readyz")
    finally:
        await application.runtime.close()
        if TEST_DATABASE == "postgresql":
            await drop_postgres_database(url)
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("pending")


async def test_unreachable_database_is_not_ready(make_app: object) -> None:
    application: NexoApplication = make_app(  # type: ignore[operator]
        database_url="postgresql+asyncpg://nobody:secret@127.0.0.1:1/none"
    )
    async with http_client(application) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    assert "secret" not in response.text


async def test_host_binding_serves_a_surface_at_the_root(make_app: object) -> None:
    router = surface_router()

    @router.get("/chats")
    async def chats() -> dict[str, str]:
        return {"surface": "crm"}

    application: NexoApplication = make_app(  # type: ignore[operator]
        extra_routers={"crm": [router]}, host_crm="crm.example"
    )
    async with http_client(application) as client:
        bound = await client.get("/v1/chats", headers={"Host": "crm.example:8000"})
        by_path = await client.get("/crm/v1/chats")
        other_host = await client.get("/v1/chats", headers={"Host": "other.example"})
        docs = await client.get("/v1/docs/openapi.json", headers={"Host": "crm.example"})
        health = await client.get("/healthz", headers={"Host": "crm.example"})
    assert bound.json() == {"surface": "crm"}
    assert by_path.json() == {"surface": "crm"}
    assert other_host.status_code == 404 and other_host.json()["error"]["code"] == "NOT_FOUND"
    assert docs.json()["info"]["title"].startswith("Nexo CRM")
    assert health.json()["status"] == "ok"


async def test_cors_preflight_for_configured_origins(make_app: object, settings: Settings) -> None:
    application: NexoApplication = make_app(cors_origins=["https://panel.example"])  # type: ignore[operator]
    async with http_client(application) as client:
        allowed = await client.options(
            "/healthz",
            headers={"Origin": "https://panel.example", "Access-Control-Request-Method": "POST"},
        )
        refused = await client.options(
            "/healthz",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://panel.example"
    assert "access-control-allow-origin" not in refused.headers
