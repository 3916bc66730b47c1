"""Builders for crm directory tests: a tenant with a signed-in user of a given role."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.identity.models import User
from nexo.tenants.models import Tenant
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token

BASE = "/crm/v1"


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: Tenant
    user: User
    headers: dict[str, str]


async def caller(
    database: Database,
    settings: Settings,
    *,
    tenant: Tenant | None = None,
    role: str = "admin",
    permissions: Iterable[str] | None = None,
) -> Caller:
    tenant = tenant or await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="crm", role=role, permissions=permissions)
    token = await issue_token(database, settings, user, surface="crm")
    return Caller(tenant=tenant, user=user, headers=auth_headers(token))


async def new_client(http: httpx.AsyncClient, who: Caller, **fields: object) -> dict[str, object]:
    response = await http.post(f"{BASE}/clients", json=fields, headers=who.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body
