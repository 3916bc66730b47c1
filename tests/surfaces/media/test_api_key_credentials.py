"""Media API-key endpoints: who may manage keys, the shown-once key, revocation, validation."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select
from tests.credentials.builders import PROBE_PATHS, bearer, make_api_key, probe_client
from tests.identity_support import create_tenant, create_user, issue_token

from nexo.app import NexoApplication
from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.credentials.permissions import MANAGE_API_KEYS
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.tenants.models import Tenant

KEYS = "/media/v2/api-keys"


async def _manager_token(database: Database, settings: Settings, tenant: Tenant) -> str:
    user = await create_user(
        database, tenant=tenant, surface="media", role="integrations", permissions=[MANAGE_API_KEYS]
    )
    return await issue_token(database, settings, user, surface="media")


async def test_a_manager_creates_a_key_that_is_shown_once_and_works(
    make_app: Callable[..., NexoApplication],
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tenant = await create_tenant(database)
    token = await _manager_token(database, settings, tenant)
    caplog.set_level(logging.DEBUG)
    async with probe_client(make_app) as client:
        created = await client.post(
            KEYS, json={"name": "ERP", "scopes": ["write:ordenes", "read:clientes"]}, headers=bearer(token)
        )
        assert created.status_code == 201, created.text
        body = created.json()
        key = body["key"]
        assert key.startswith(f"nexo_live_{body['prefix']}_")
        assert body["scopes"] == ["read:clientes", "write:ordenes"]
        assert body["revoked_at"] is None and body["last_used_at"] is None

        used = await client.get(PROBE_PATHS["media"], headers=bearer(key))
        assert used.status_code == 200
        assert used.json()["permissions"] == ["read:clientes", "write:ordenes"]

        listed = await client.get(KEYS, headers=bearer(token))
    assert listed.status_code == 200
    [item] = listed.json()["data"]
    assert item["id"] == body["id"] and item["prefix"] == body["prefix"]
    assert item["last_used_at"] is not None
    assert "key" not in item
    assert key not in listed.text
    assert all(key not in record.getMessage() and key not in str(vars(record)) for record in caplog.records)


async def test_revoking_a_key_makes_it_401_at_once(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _manager_token(database, settings, tenant)
    issued = await make_api_key(database, tenant)
    async with probe_client(make_app) as client:
        assert (await client.get(PROBE_PATHS["media"], headers=bearer(issued.plain))).status_code == 200
        revoked = await client.delete(f"{KEYS}/{issued.key.id}", headers=bearer(token))
        assert revoked.status_code == 204
        assert (await client.get(PROBE_PATHS["media"], headers=bearer(issued.plain))).status_code == 401
        listed = await client.get(KEYS, headers=bearer(token))
    assert listed.json()["data"][0]["revoked_at"] is not None
    async with database.transaction(tenant_id=tenant.id) as session:
        actions = list(await session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))
    assert "api_key.revoked" in actions


async def test_keys_of_another_tenant_are_invisible(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant_a, tenant_b = await create_tenant(database), await create_tenant(database)
    token_a = await _manager_token(database, settings, tenant_a)
    key_b = await make_api_key(database, tenant_b)
    listed = await client.get(KEYS, headers=bearer(token_a))
    assert listed.json() == {"data": []}
    revoked = await client.delete(f"{KEYS}/{key_b.key.id}", headers=bearer(token_a))
    assert revoked.status_code == 404


async def test_managing_keys_takes_a_user_with_the_permission(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    reader = await create_user(
        database, tenant=tenant, surface="media", role="viewer", permissions=["read:clientes"]
    )
    reader_token = await issue_token(database, settings, reader, surface="media")
    key = await make_api_key(database, tenant, scopes=list(MEDIA_SCOPES))
    anonymous = await client.get(KEYS)
    without_permission = await client.get(KEYS, headers=bearer(reader_token))
    with_a_key = await client.get(KEYS, headers=bearer(key.plain))
    assert anonymous.status_code == 401
    assert without_permission.status_code == 403
    assert with_a_key.status_code == 403  # a key can never mint or revoke keys


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "scopes": ["read:everything"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["read:clientes"]}, "name"),
        ({"name": "x", "scopes": ["read:clientes"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "scopes": ["read:clientes"], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["read:clientes"], "tenant_id": 3}, "tenant_id"),
    ],
)
async def test_bad_input_is_a_422_envelope_and_creates_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings, payload: dict[str, object], field: str
) -> None:
    tenant = await create_tenant(database)
    token = await _manager_token(database, settings, tenant)
    response = await client.post(KEYS, json=payload, headers=bearer(token))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == field
    assert (await client.get(KEYS, headers=bearer(token))).json() == {"data": []}
