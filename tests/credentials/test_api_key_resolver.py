"""API keys through the service and the resolver: what a key lets a request do, and when it stops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.credentials.builders import PROBE_PATHS, actor_for, bearer, make_api_key, probe_client
from tests.identity_support import create_tenant

from nexo.app import NexoApplication
from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import ValidationFailed
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials import api_keys
from nexo.credentials.models import ApiKey
from nexo.tenants.models import Tenant

MEDIA = PROBE_PATHS["media"]


async def _key_row(database: Database, key_id: int) -> ApiKey:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads a key row")
        row = await session.get(ApiKey, key_id)
        assert row is not None
        return row


async def test_a_key_resolves_to_its_tenant_scopes_and_plan(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database, plan="premium")
    issued = await make_api_key(database, tenant, scopes=["read:clientes", "write:ordenes"])
    async with probe_client(make_app) as client:
        response = await client.get(MEDIA, headers=bearer(issued.plain))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "api_key",
        "id": str(issued.key.id),
        "tenant_id": tenant.id,
        "permissions": ["read:clientes", "write:ordenes"],
        "plan": "premium",
        "session_id": None,
    }


async def test_the_key_is_stored_only_as_a_hash(database: Database) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    row = await _key_row(database, issued.key.id)
    stored = " ".join(str(value) for value in vars(row).values())
    assert issued.plain not in stored
    secret_part = issued.plain.rsplit("_", 1)[1]
    assert secret_part not in stored
    assert row.lookup_prefix in issued.plain


async def test_scopes_are_permissions_and_a_missing_one_is_403(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant, scopes=["read:clientes"])
    async with probe_client(make_app) as client:
        allowed = await client.get(f"{MEDIA}/needs/read:clientes", headers=bearer(issued.plain))
        refused = await client.get(f"{MEDIA}/needs/write:clientes", headers=bearer(issued.plain))
    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"


@pytest.mark.parametrize("change", ["revoked", "expired", "tenant_suspended"])
async def test_a_dead_key_is_401(
    make_app: Callable[..., NexoApplication], database: Database, change: str
) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test kills a key")
        if change == "revoked":
            await api_keys.revoke_api_key(session, actor=actor_for(tenant), key_id=issued.key.id)
        elif change == "expired":
            past = utcnow() - timedelta(seconds=1)
            await session.execute(update(ApiKey).where(ApiKey.id == issued.key.id).values(expires_at=past))
        else:
            await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status="suspended"))
    async with probe_client(make_app) as client:
        response = await client.get(MEDIA, headers=bearer(issued.plain))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


async def test_a_wrong_secret_behind_a_real_prefix_is_401(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    forged = issued.plain[:-4] + ("AAAA" if not issued.plain.endswith("AAAA") else "BBBB")
    async with probe_client(make_app) as client:
        response = await client.get(MEDIA, headers=bearer(forged))
    assert response.status_code == 401


@pytest.mark.parametrize("surface", ["tasks", "collections", "crm"])
async def test_a_media_key_is_refused_on_other_surfaces(
    make_app: Callable[..., NexoApplication], database: Database, surface: str
) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    async with probe_client(make_app) as client:
        response = await client.get(PROBE_PATHS[surface], headers=bearer(issued.plain))
    assert response.status_code == 401


async def test_a_key_of_tenant_a_never_reaches_tenant_b_rows(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant_a, tenant_b = await create_tenant(database), await create_tenant(database)
    key_a = await make_api_key(database, tenant_a)
    key_b = await make_api_key(database, tenant_b)
    async with probe_client(make_app) as client:
        own = await client.get(f"{MEDIA}/api-keys/{key_a.key.id}", headers=bearer(key_a.plain))
        other = await client.get(f"{MEDIA}/api-keys/{key_b.key.id}", headers=bearer(key_a.plain))
    assert own.status_code == 200
    assert own.json()["tenant_id"] == tenant_a.id
    assert other.status_code == 404


async def test_last_use_is_recorded_on_reads_and_writes_at_most_once_per_interval(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    assert (await _key_row(database, issued.key.id)).last_used_at is None
    async with probe_client(make_app) as client:
        assert (await client.get(MEDIA, headers=bearer(issued.plain))).status_code == 200
        first = (await _key_row(database, issued.key.id)).last_used_at
        assert first is not None
        assert (await client.get(MEDIA, headers=bearer(issued.plain))).status_code == 200
        assert (await _key_row(database, issued.key.id)).last_used_at == first  # throttled
        # Pretend the last use was long ago: the next write-method request records a new one.
        async with database.transaction() as session:
            allow_all_tenants(session, reason="test ages a key's last use")
            old = utcnow() - timedelta(minutes=5)
            await session.execute(update(ApiKey).where(ApiKey.id == issued.key.id).values(last_used_at=old))
        assert (await client.post(MEDIA, headers=bearer(issued.plain))).status_code == 200
    assert (await _key_row(database, issued.key.id)).last_used_at > first  # type: ignore[operator]


async def test_creation_checks_scopes_and_expiry(database: Database) -> None:
    tenant = await create_tenant(database)
    with pytest.raises(ValidationFailed, match="Unknown scope"):
        await make_api_key(database, tenant, scopes=["read:clientes", "admin:everything"])
    with pytest.raises(ValidationFailed, match="at least one scope"):
        await make_api_key(database, tenant, scopes=[])
    with pytest.raises(ValidationFailed, match="future"):
        await make_api_key(database, tenant, expires_at=utcnow() - timedelta(minutes=1))


async def test_creation_and_revocation_are_audited(database: Database) -> None:
    tenant = await create_tenant(database)
    issued = await make_api_key(database, tenant)
    async with database.transaction(tenant_id=tenant.id) as session:
        await api_keys.revoke_api_key(session, actor=actor_for(tenant, "7"), key_id=issued.key.id)
        again = await api_keys.revoke_api_key(session, actor=actor_for(tenant, "7"), key_id=issued.key.id)
        assert again.revoked_at is not None
    async with database.transaction(tenant_id=tenant.id) as session:
        records = list(await session.scalars(select(AuditRecord).order_by(AuditRecord.id)))
    actions = [(record.action, record.entity_id, record.tenant_id) for record in records]
    assert actions == [
        ("api_key.created", str(issued.key.id), tenant.id),
        ("api_key.revoked", str(issued.key.id), tenant.id),  # once: revoking twice changes nothing
    ]
    assert all(issued.plain not in str(record.changes) for record in records)
