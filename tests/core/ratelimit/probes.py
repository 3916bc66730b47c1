"""What the rate-limit tests plug into the real app: a credential resolver, probe routes, clients.

`ProbeResolver` is a real `CredentialResolver`, registered through the real mechanism, that turns
`Bearer rltest:<kind>:<id>:<tenant>:<plan>` into a principal, so principal-keyed limits can be tested
without depending on how users, API keys or connectors are stored. Probe routes live under
`/rl-probe` (and `/sync/rl-probe` for the collections sync rule), paths no surface uses.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.app import NexoApplication
from nexo.core.auth.dependencies import Authenticated, register_resolver
from nexo.core.auth.principal import Principal, PrincipalKind
from nexo.core.ratelimit import RateLimiter
from nexo.surfaces import SURFACES
from nexo.surfaces.base import surface_router

REDIS_URL = os.environ.get("NEXO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CREDENTIAL_PREFIX = "rltest:"


class ProbeResolver:
    def accepts(self, credential: str) -> bool:
        return credential.startswith(CREDENTIAL_PREFIX)

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        parts = credential.removeprefix(CREDENTIAL_PREFIX).split(":")
        if len(parts) != 4 or parts[0] not in {"user", "api_key", "oauth_client", "connector"}:
            return None
        kind: PrincipalKind = parts[0]  # type: ignore[assignment]
        return Principal(
            kind=kind,
            id=parts[1],
            tenant_id=int(parts[2]),
            plan=parts[3] or None,
            permissions=frozenset({"*"}),
        )


RESOLVER = ProbeResolver()
register_resolver(RESOLVER)


def bearer(kind: str = "user", id: str = "u1", tenant: int = 1, plan: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {CREDENTIAL_PREFIX}{kind}:{id}:{tenant}:{plan}"}


def probe_routers(surface: str) -> list[APIRouter]:
    """`GET /rl-probe/open` (no credential), `GET /rl-probe/me`, `/rl-probe/twice` and
    `GET /auth/rl-probe` (any principal) and, in collections, `POST /sync/rl-probe` (connectors only,
    like the real sync routes)."""
    anyone = Depends(Authenticated(surface=surface))
    router = surface_router(prefix="/rl-probe")

    @router.get("/open")
    async def open_route() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/me")
    async def me(principal: Principal = anyone) -> dict[str, Any]:
        return {"kind": principal.kind, "id": principal.id}

    @router.get("/twice", dependencies=[Depends(Authenticated(surface=surface, permissions={"rl.probe"}))])
    async def twice(principal: Principal = anyone) -> dict[str, str]:
        """Two different `Authenticated` dependencies on one route: the request must count once."""
        return {"id": principal.id}

    auth = surface_router(prefix="/auth")  # an authenticated route under an IP-limited prefix

    @auth.get("/rl-probe")
    async def auth_probe(principal: Principal = anyone) -> dict[str, str]:
        return {"id": principal.id}

    routers = [router, auth]
    if surface == "collections":
        sync = surface_router(prefix="/sync")
        connector = Depends(Authenticated(surface=surface, kinds={"connector"}))

        @sync.post("/rl-probe")
        async def sync_probe(principal: Principal = connector) -> dict[str, str]:
            return {"connector": principal.id}

        routers.append(sync)
    return routers


def all_probe_routers() -> dict[str, Sequence[APIRouter]]:
    return {spec.name: probe_routers(spec.name) for spec in SURFACES}


def client_from(app: NexoApplication, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client whose requests come from `ip` (the ASGI client address the IP rules key on)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def limiters(app: NexoApplication) -> list[RateLimiter]:
    return [
        surface.state.rate_limiter
        for surface in app.surfaces.values()
        if hasattr(surface.state, "rate_limiter")
    ]


async def close_limiters(app: NexoApplication) -> None:
    for limiter in limiters(app):
        await limiter.aclose()


def unique_prefix() -> str:
    return f"nexo-test-rl-{uuid.uuid4().hex[:12]}"


async def redis_keys(prefix: str) -> list[str]:
    async with aioredis.from_url(REDIS_URL) as client:
        return sorted([key.decode() async for key in client.scan_iter(match=f"{prefix}:*")])


async def delete_redis_keys(prefix: str) -> int:
    async with aioredis.from_url(REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        return int(await client.delete(*keys)) if keys else 0


async def redis_available() -> bool:
    async with aioredis.from_url(REDIS_URL, socket_connect_timeout=0.5) as client:
        try:
            return bool(await client.ping())
        except (aioredis.RedisError, OSError):
            return False


def overrides(**limits: str) -> Mapping[str, str]:
    """`overrides(collections__login="2/minute")` → {"collections.login": "2/minute"}."""
    return {name.replace("__", "."): limit for name, limit in limits.items()}
