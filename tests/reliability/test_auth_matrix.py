"""Authentication matrix, generated from the routes of every surface (new routes are covered
without editing this file):

- every route not on the explicit public list answers 401 without credentials;
- every route that declares permissions answers 403 to a principal of a tenant that holds none.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.auth.dependencies import Authenticated, register_resolver
from nexo.core.auth.principal import Principal
from nexo.surfaces import SURFACES_BY_NAME
from nexo.tenants.models import Tenant

# (surface, method, path as declared) of routes anyone may call, each for a reason. A new public
# route is added here on purpose; a forgotten `Authenticated` dependency fails this test instead.
PUBLIC_ROUTES: frozenset[tuple[str, str, str]] = frozenset(
    {
        # people sign in (docs/auth.md)
        ("crm", "POST", "/v1/auth/login"),
        ("crm", "POST", "/v1/auth/2fa/login"),
        ("crm", "POST", "/v1/auth/refresh"),
        ("collections", "POST", "/v1/auth/register"),
        ("collections", "POST", "/v1/auth/login"),
        ("collections", "POST", "/v1/auth/oauth/{provider}"),
        ("collections", "GET", "/v1/auth/oauth/{provider}/authorize"),
        ("collections", "POST", "/v1/auth/2fa/login"),
        ("collections", "POST", "/v1/auth/refresh"),
        ("collections", "POST", "/v1/auth/invitations/accept"),
        ("platform", "POST", "/auth/login"),
        ("platform", "POST", "/auth/2fa/login"),
        ("platform", "POST", "/auth/refresh"),
        ("media", "POST", "/v2/auth/login"),
        ("media", "POST", "/v2/auth/2fa/login"),
        ("media", "POST", "/v2/auth/refresh"),
        ("tasks", "POST", "/v1/auth/login"),
        ("tasks", "POST", "/v1/auth/2fa/login"),
        ("tasks", "POST", "/v1/auth/refresh"),
        # machines obtain credentials (docs/credentials.md)
        ("media", "POST", "/oauth/token"),
        ("collections", "POST", "/v1/connectors/register"),
        ("collections", "POST", "/v1/connectors/refresh"),
        ("tasks", "POST", "/v1/auth/token"),
        # an e-mail client loads the open-tracking pixel of a reminder (docs/collections.md)
        ("collections", "GET", "/v1/cobranza/tracking/{token}.gif"),
    }
)
PUBLIC_PATTERNS = [
    re.compile(r"/docs(/openapi\.json)?$"),
    re.compile(r"/docs/oauth2-redirect$"),
]

NO_PERMISSIONS_PREFIX = "matrix-no-permissions-"


@dataclass(frozen=True)
class SurfaceRoute:
    surface: str
    route: APIRoute
    path: str  # as served, with the router's prefix
    method: str

    @property
    def label(self) -> str:
        return f"{self.surface} {self.method} {self.path}"

    def url(self) -> str:
        spec = SURFACES_BY_NAME[self.surface]
        return spec.mount + re.sub(r"\{[^}]+\}", "1", self.path)


def authenticators(route: APIRoute) -> list[Authenticated]:
    found: list[Authenticated] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Authenticated):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def is_public(item: SurfaceRoute) -> bool:
    if (item.surface, item.method, item.path) in PUBLIC_ROUTES:
        return True
    return any(pattern.search(item.path) for pattern in PUBLIC_PATTERNS)


def surface_routes(application: NexoApplication) -> Iterator[SurfaceRoute]:
    """Every API route of every surface, through included routers, hidden ones too."""
    for name, surface_app in application.surfaces.items():
        for context in iter_route_contexts(surface_app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and context.path:
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield SurfaceRoute(name, route, context.path, method)


class NoPermissionResolver:
    """A principal of a real tenant that holds no permission at all."""

    def accepts(self, credential: str) -> bool:
        return credential.startswith(NO_PERMISSIONS_PREFIX)

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        tenant_id = int(credential.removeprefix(NO_PERMISSIONS_PREFIX))
        return Principal(kind="user", id="matrix", tenant_id=tenant_id, role="nobody", plan="standard")


register_resolver(NoPermissionResolver())


@pytest.fixture
async def client(app: NexoApplication, clean_database: None) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        yield http


async def test_every_non_public_route_requires_credentials(
    app: NexoApplication, client: httpx.AsyncClient
) -> None:
    failures = []
    checked = 0
    for item in surface_routes(app):
        if is_public(item):
            continue
        checked += 1
        response = await client.request(item.method, item.url(), json={})
        if response.status_code != 401:
            failures.append(f"{item.label} -> {response.status_code}")
    assert failures == [], "routes answering without credentials:\n" + "\n".join(failures)
    assert checked > 50, "the walk found suspiciously few routes"


async def test_routes_with_permissions_refuse_a_principal_without_them(
    app: NexoApplication, client: httpx.AsyncClient
) -> None:
    async with app.runtime.database.transaction() as session:
        tenant = Tenant(slug="matrix", name="Matrix", plan="standard")
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    headers = {"Authorization": f"Bearer {NO_PERMISSIONS_PREFIX}{tenant_id}"}
    failures = []
    for item in surface_routes(app):
        required = [perm for auth in authenticators(item.route) for perm in auth.permissions]
        needs_owner = any(auth.platform_owner for auth in authenticators(item.route))
        if not required and not needs_owner:
            continue
        response = await client.request(item.method, item.url(), json={}, headers=headers)
        if response.status_code != 403:
            failures.append(f"{item.label} (needs {required or 'platform owner'}) -> {response.status_code}")
    assert failures == [], "routes not refusing a principal without permissions:\n" + "\n".join(failures)
