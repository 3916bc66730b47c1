"""Tenant-isolation matrix, generated from the routes of every surface (new routes are covered without
editing this file).

Tenant A is the demo tenant (`load_demo`: users, roles, API keys, media clients, campaigns, orders).
Tenant B is a fresh tenant. Both act through an all-permissions principal (`support`). B's lists are
read once before A has any data: what they show then (B's own rows, static catalogues and examples)
cannot be a leak.

- Every GET route without path parameters is called as A, and every id in its JSON is harvested
  (keys `id`, `*_id`, `*Id`, at any depth).
- Every route with path parameters and no body (GET, DELETE, action POSTs) is requested as B with each
  harvested value that fits the parameter's type: the answer must be 404 — not 200, not 403.
- Every list called as B contains none of A's (key, value) id pairs.

Routes that only platform owners may call are left out: the platform panel stands above tenants by
design, so there is no "other tenant" to isolate from.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.reliability.support import add_connector, all_permissions_token
from tests.reliability.test_auth_matrix import SurfaceRoute, authenticators, is_public, surface_routes
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.tenancy import allow_all_tenants
from nexo.demo import DEMO_DOMAIN, load_demo
from nexo.identity.models import User
from nexo.surfaces import SURFACES_BY_NAME
from nexo.tenants.models import Tenant

PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
VALUES_PER_ROUTE = 25  # bounds the matrix: harvested values tried per route

IdPair = tuple[str, str]  # (key, value as text)


def is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id") or (key.endswith("Id") and key != "requestId")


def harvest(document: Any) -> Iterator[IdPair]:
    """Every (key, value) under an id-like key, at any depth."""
    if isinstance(document, dict):
        for key, value in document.items():
            scalar = isinstance(value, int | str) and not isinstance(value, bool)
            if is_id_key(key) and scalar and value != "":
                yield key, str(value)
            else:
                yield from harvest(value)
    elif isinstance(document, list):
        for item in document:
            yield from harvest(item)


def tenant_routes(application: NexoApplication) -> list[SurfaceRoute]:
    return [
        item
        for item in surface_routes(application)
        if not is_public(item) and not any(auth.platform_owner for auth in authenticators(item.route))
    ]


def url_of(item: SurfaceRoute, values: dict[str, str] | None = None) -> str:
    path = PARAM.sub(lambda match: (values or {}).get(match.group(1), "x"), item.path)
    return SURFACES_BY_NAME[item.surface].mount + path


def fits(annotation: Any, value: str) -> bool:
    """Whether `value` parses as the path parameter's type (else FastAPI answers 422 before any lookup)."""
    if annotation is int:
        return value.isdigit() and 0 < int(value) < 2**31
    if annotation is uuid.UUID:
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    return True


def path_types(item: SurfaceRoute) -> dict[str, Any]:
    return {param.name: param.field_info.annotation for param in item.route.dependant.path_params}


async def harvest_lists(
    http: httpx.AsyncClient, routes: list[SurfaceRoute], token: str
) -> tuple[set[IdPair], list[str]]:
    found: set[IdPair] = set()
    answered: list[str] = []
    for item in routes:
        if item.method != "GET" or PARAM.search(item.path):
            continue
        response = await http.get(url_of(item), headers={"Authorization": f"Bearer {token}"})
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if response.status_code == 200 and is_json:
            found.update(harvest(response.json()))
            answered.append(item.label)
    return found, answered


@pytest.fixture
async def client(app: NexoApplication, clean_database: None) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        yield http


async def new_tenant(app: NexoApplication, slug: str) -> int:
    async with app.runtime.database.transaction() as session:
        tenant = Tenant(slug=slug, name=slug.title(), plan="premium")
        session.add(tenant)
        await session.flush()
        return tenant.id


async def demo_token(app: NexoApplication) -> str:
    """Tenant A: the demo tenant with its data, as its CRM admin holding every permission."""
    database = app.runtime.database
    await load_demo(database)
    async with database.transaction() as session:
        allow_all_tenants(session, reason="the matrix acts as a real demo user")
        user = await session.scalar(select(User).where(User.email == f"crm.admin@{DEMO_DOMAIN}"))
        assert user is not None and user.tenant_id is not None
        tenant_id, token = user.tenant_id, all_permissions_token(user.tenant_id, user.id)
    await add_connector(database, tenant_id, token)
    return token


async def test_other_tenants_ids_answer_404_and_never_appear_in_lists(
    app: NexoApplication, client: httpx.AsyncClient
) -> None:
    routes = tenant_routes(app)
    tenant_b = await new_tenant(app, "isolation-b")
    token_b = all_permissions_token(tenant_b, 0)
    await add_connector(app.runtime.database, tenant_b, token_b)
    # What B's lists show while no other tenant has data is B's own or static (catalogues, examples).
    baseline_b, _ = await harvest_lists(client, routes, token_b)
    token_a = await demo_token(app)
    harvested, answered = await harvest_lists(client, routes, token_a)
    assert len(answered) > 20, "tenant A's lists answered suspiciously rarely"
    assert len(harvested) > 20, "tenant A's lists yielded suspiciously few ids"
    values = sorted({value for _, value in harvested})

    failures: list[str] = []
    checked = 0
    for item in routes:
        types = path_types(item)
        if not types or item.route.body_field is not None:
            continue
        fitting = [value for value in values if all(fits(kind, value) for kind in types.values())]
        for value in fitting[:VALUES_PER_ROUTE]:
            url = url_of(item, dict.fromkeys(types, value))
            response = await client.request(item.method, url, headers={"Authorization": f"Bearer {token_b}"})
            checked += 1
            if response.status_code != 404:
                failures.append(f"{item.label} with {value!r} -> {response.status_code}")
    assert checked > 100, "the matrix checked suspiciously few (route, id) pairs"

    seen_by_b, _ = await harvest_lists(client, routes, token_b)
    leaked = sorted((harvested & seen_by_b) - baseline_b)
    assert failures == [], "tenant B reached tenant A's objects:\n" + "\n".join(failures)
    assert leaked == [], f"tenant B's lists show tenant A's ids: {leaked}"
