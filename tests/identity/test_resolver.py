"""The user-token resolver: what a route behind `Authenticated` sees for each kind of token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import Depends
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.surfaces.base import surface_router


def whoami_router(surface: str) -> Any:
    router = surface_router(prefix="/whoami")
    anyone = Depends(Authenticated(surface=surface))
    reader = Depends(Authenticated(surface=surface, permissions={"chats.read"}))

    @router.get("")
    async def whoami(principal: Principal = anyone) -> dict[str, Any]:
        return {
            "id": principal.id,
            "tenant_id": principal.tenant_id,
            "role": principal.role,
            "platform_role": principal.platform_role,
            "permissions": sorted(principal.permissions),
        }

    @router.get("/chats")
    async def chats(principal: Principal = reader) -> dict[str, str]:
        return {"ok": principal.id}

    return router


@pytest.fixture
async def probe(make_app: Callable[..., NexoApplication]) -> AsyncIterator[httpx.AsyncClient]:
    application = make_app(
        extra_routers={name: [whoami_router(name)] for name in ("crm", "collections", "platform")}
    )
    async with http_client(application) as client:
        yield client


async def test_a_crm_token_resolves_to_its_user(
    probe: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, surface="crm", role="agent")
    token = await issue_token(database, settings, agent, surface="crm")
    response = await probe.get("/crm/v1/whoami", headers=auth_headers(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(agent.id)
    assert body["tenant_id"] == tenant.id
    assert body["role"] == "agent"
    assert "chats.read" in body["permissions"]
    assert (await probe.get("/crm/v1/whoami/chats", headers=auth_headers(token))).status_code == 200
