"""Idempotency-Key: a retried POST replays the first result instead of repeating its effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.auth.dependencies import Authenticated, register_resolver
from nexo.core.auth.principal import Principal
from nexo.core.errors import Conflict
from nexo.core.http.deps import SessionDep
from nexo.core.http.schemas import StrictBody
from nexo.core.tenancy import allow_all_tenants
from nexo.surfaces.base import surface_router
from nexo.tenants.models import Tenant

PREFIX = "idem-test-principal-"


class PlatformTestResolver:
    """A real resolver plugged into the real mechanism: `idem-test-principal-<id>` is a platform
    owner with that id (tenants are not tenant-owned, so no tenant is needed)."""

    def accepts(self, credential: str) -> bool:
        return credential.startswith(PREFIX)

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        return Principal(
            kind="user", id=credential.removeprefix(PREFIX), tenant_id=None, platform_role="PLATFORM_OWNER"
        )


register_resolver(PlatformTestResolver())
Caller = Annotated[Principal, Depends(Authenticated(surface="platform"))]


class NewTenant(StrictBody):
    slug: str


@pytest.fixture
async def api(make_app: object) -> AsyncIterator[tuple[httpx.AsyncClient, NexoApplication]]:
    router = surface_router()

    @router.post("/idem/tenants", status_code=201)
    async def create(body: NewTenant, caller: Caller, session: SessionDep) -> dict[str, object]:
        tenant = Tenant(slug=body.slug, name=body.slug)
        session.add(tenant)
        await session.flush()
        return {"id": tenant.id, "slug": tenant.slug}

    @router.post("/idem/fails")
    async def fails(body: NewTenant, caller: Caller, session: SessionDep) -> None:
        session.add(Tenant(slug=body.slug, name=body.slug))
        raise Conflict("not now")

    application: NexoApplication = make_app(extra_routers={"platform": [router]})  # type: ignore[operator]
    async with http_client(application) as client:
        yield client, application


async def tenant_count(application: NexoApplication) -> int:
    async with application.runtime.database.session() as session:
        allow_all_tenants(session, reason="test")
        return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)


def auth(principal: str = "1", key: str | None = "key-1") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {PREFIX}{principal}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def test_retry_replays_the_first_result(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = api
    first = await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth())
    again = await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await tenant_count(application) == 1


async def test_quoted_structured_header_form_is_the_same_key(
    api: tuple[httpx.AsyncClient, NexoApplication],
) -> None:
    client, application = api
    await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth(key="k-9"))
    again = await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth(key='"k-9"'))
    assert again.headers.get("idempotent-replayed") == "true"
    assert await tenant_count(application) == 1


async def test_same_key_with_another_body_is_refused(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = api
    await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth())
    other = await client.post("/api/idem/tenants", json={"slug": "globex"}, headers=auth())
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await tenant_count(application) == 1


async def test_keys_are_scoped_to_the_caller(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = api
    await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth(principal="1"))
    theirs = await client.post("/api/idem/tenants", json={"slug": "globex"}, headers=auth(principal="2"))
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert await tenant_count(application) == 2


async def test_failures_are_not_remembered(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = api
    failed = await client.post("/api/idem/fails", json={"slug": "acme"}, headers=auth())
    assert failed.status_code == 409
    # The failure left no trace, so the key is free for whatever the client sends next.
    retried = await client.post("/api/idem/tenants", json={"slug": "acme"}, headers=auth())
    assert retried.status_code == 201
    fresh = await client.post("/api/idem/fails", json={"slug": "acme"}, headers=auth(key="key-2"))
    again = await client.post("/api/idem/fails", json={"slug": "acme"}, headers=auth(key="key-2"))
    assert fresh.status_code == again.status_code == 409
    assert "idempotent-replayed" not in again.headers
    assert await tenant_count(application) == 1


async def test_without_a_key_every_post_counts(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, application = api
    await client.post("/api/idem/tenants", json={"slug": "a"}, headers=auth(key=None))
    await client.post("/api/idem/tenants", json={"slug": "b"}, headers=auth(key=None))
    assert await tenant_count(application) == 2


async def test_malformed_key_is_a_clear_400(api: tuple[httpx.AsyncClient, NexoApplication]) -> None:
    client, _ = api
    response = await client.post("/api/idem/tenants", json={"slug": "a"}, headers=auth(key="x" * 300))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"
