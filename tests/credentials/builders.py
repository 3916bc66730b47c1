"""Builders for machine-credential tests: probe routes behind `Authenticated` on each surface, and
API keys, OAuth clients and connectors made through the services (no HTTP)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, Request
from sqlalchemy import select
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.errors import NotFound
from nexo.core.http.deps import SessionDep
from nexo.core.settings import Settings
from nexo.credentials import api_keys, connectors
from nexo.credentials.models import ApiKey
from nexo.credentials.oauth import clients
from nexo.surfaces.base import surface_router
from nexo.tenants.models import Tenant

PROBE_SURFACES = ("media", "tasks", "collections", "crm")
PROBE_PATHS = {
    "media": "/media/v2/probe",
    "tasks": "/tasks/v1/probe",
    "collections": "/collections/v1/probe",
    "crm": "/crm/v1/probe",
}


def _describe(principal: Principal) -> dict[str, Any]:
    return {
        "kind": principal.kind,
        "id": principal.id,
        "tenant_id": principal.tenant_id,
        "permissions": sorted(principal.permissions),
        "plan": principal.plan,
        "session_id": principal.session_id,
    }


def probe_router(surface: str) -> APIRouter:
    """`GET|POST /probe` (any principal), `GET /probe/needs/{permission}`, and
    `GET /probe/api-keys/{id}` (reads a tenant-owned row through the scoped session)."""
    router = surface_router(prefix="/probe")

    @router.get("")
    async def whoami(request: Request) -> dict[str, Any]:
        return _describe(await Authenticated(surface=surface)(request))

    @router.post("")
    async def whoami_write(request: Request) -> dict[str, Any]:
        return _describe(await Authenticated(surface=surface)(request))

    @router.get("/needs/{permission}")
    async def needs(permission: str, request: Request) -> dict[str, Any]:
        return _describe(await Authenticated(surface=surface, permissions={permission})(request))

    @router.get("/api-keys/{key_id}")
    async def read_key(key_id: int, request: Request, session: SessionDep) -> dict[str, Any]:
        await Authenticated(surface=surface)(request)
        key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id))
        if key is None:
            raise NotFound()
        return {"id": key.id, "tenant_id": key.tenant_id}

    return router


@asynccontextmanager
async def probe_client(
    make_app: Callable[..., NexoApplication], **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    application = make_app(extra_routers={name: [probe_router(name)] for name in PROBE_SURFACES}, **overrides)
    async with http_client(application) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def actor_for(tenant: Tenant, user_id: str = "1") -> Principal:
    return Principal(kind="user", id=user_id, tenant_id=tenant.id, permissions=frozenset({"*"}))


async def make_api_key(
    database: Database, tenant: Tenant, scopes: Iterable[str] = ("read:clientes",), **kwargs: Any
) -> api_keys.IssuedApiKey:
    async with database.transaction(tenant_id=tenant.id) as session:
        return await api_keys.create_api_key(
            session, actor=actor_for(tenant), name="test key", scopes=list(scopes), **kwargs
        )


async def make_client(
    database: Database,
    tenant: Tenant,
    *,
    surface: str = "media",
    scopes: Iterable[str] = ("read:clientes", "write:ordenes"),
    redirect_uris: Iterable[str] = (),
) -> clients.IssuedClient:
    async with database.transaction(tenant_id=tenant.id) as session:
        return await clients.register_client(
            session,
            actor=actor_for(tenant),
            surface=surface,
            name="test client",
            scopes=scopes,
            redirect_uris=redirect_uris,
        )


async def make_link_code(database: Database, tenant: Tenant, empresa_id: str | None = None) -> str:
    async with database.transaction(tenant_id=tenant.id) as session:
        issued = await connectors.create_link_code(session, actor=actor_for(tenant), empresa_id=empresa_id)
    return issued.code


async def make_connector(
    database: Database, settings: Settings, tenant: Tenant
) -> connectors.IssuedConnectorTokens:
    code = await make_link_code(database, tenant)
    registration = connectors.ConnectorRegistration(
        link_code=code, name="Servidor", machine_fingerprint="fp", version="2.0.0", empresas=[]
    )
    async with database.transaction() as session:
        return await connectors.register_connector(session, settings, registration)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), computed here independently of the code under test."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge
