"""Access tokens that must be refused through the API, tenant isolation, permission denials, and
secrets that must never show up again after they were handed out."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from fastapi import Depends
from sqlalchemy import select
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user, issue_token
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.audit import AuditRecord
from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.identity.keys import access_codec
from nexo.identity.models import BackupCode, RefreshToken, User
from nexo.surfaces.base import surface_router

ME = "/crm/v1/users/me"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def _agent_token(database: Database, settings: Settings) -> tuple[User, str]:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    return agent, await issue_token(database, settings, agent, surface="crm")


async def test_a_valid_token_is_accepted(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    _, token = await _agent_token(database, settings)
    assert (await client.get(ME, headers=auth_headers(token))).status_code == 200


async def test_expired_tokens_are_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    agent, token = await _agent_token(database, settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    expired = access_codec(settings).encode(
        subject=str(agent.id),
        tenant_id=agent.tenant_id,
        audience="crm",
        ttl_seconds=60,
        session_id=claims["sid"],
        now=int(time.time()) - 3600,
    )
    response = await client.get(ME, headers=auth_headers(expired))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


async def test_tampered_tokens_are_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    agent, token = await _agent_token(database, settings)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(agent.id + 1)  # someone else
    forged = f"{header}.{_b64(claims)}.{signature}"
    assert (await client.get(ME, headers=auth_headers(forged))).status_code == 401
    resigned = jwt.encode(claims, "x" * 64, algorithm="HS256")
    assert (await client.get(ME, headers=auth_headers(resigned))).status_code == 401


async def test_alg_none_tokens_are_refused(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    _, token = await _agent_token(database, settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert (await client.get(ME, headers=auth_headers(unsigned))).status_code == 401


async def test_tokens_only_work_on_their_surface(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    owner = await create_user(database, tenant=tenant, surface="collections", role="owner")
    collections_token = await issue_token(database, settings, owner, surface="collections")
    assert (
        await client.get("/collections/v1/auth/me", headers=auth_headers(collections_token))
    ).status_code == 200
    assert (await client.get(ME, headers=auth_headers(collections_token))).status_code == 401
    assert (await client.get("/api/auth/me", headers=auth_headers(collections_token))).status_code == 401


async def test_deactivated_users_lose_access_at_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    agent, token = await _agent_token(database, settings)
    async with database.transaction(tenant_id=agent.tenant_id) as session:
        row = await session.get(User, agent.id)
        assert row is not None
        row.status = "inactive"
    assert (await client.get(ME, headers=auth_headers(token))).status_code == 401


async def test_malformed_credentials_are_401(client: httpx.AsyncClient) -> None:
    for header in ("Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer eyJ.a.b"):
        response = await client.get(ME, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"


async def test_tenant_a_never_reads_tenant_b(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant_a = await create_tenant(database, name="Alfa")
    tenant_b = await create_tenant(database, name="Beta")
    owner_a = await create_user(database, tenant=tenant_a, surface="collections", role="owner")
    await create_user(
        database, tenant=tenant_b, surface="collections", role="owner", email="b-owner@example.com"
    )
    token_a = await issue_token(database, settings, owner_a, surface="collections")
    org = await client.get("/collections/v1/organizations/current", headers=auth_headers(token_a))
    assert org.status_code == 200
    assert org.json()["id"] == str(tenant_a.public_id)
    assert org.json()["stats"]["usersCount"] == 1
    users = await client.get("/collections/v1/users", headers=auth_headers(token_a))
    assert [person["email"] for person in users.json()["data"]] == [owner_a.email]
    # Forging the tenant claim with a valid session of tenant A fails: the session is tenant A's.
    claims = jwt.decode(token_a, options={"verify_signature": False})
    forged = access_codec(settings).encode(
        subject=claims["sub"],
        tenant_id=tenant_b.id,
        audience="collections",
        ttl_seconds=60,
        session_id=claims["sid"],
    )
    assert (
        await client.get("/collections/v1/organizations/current", headers=auth_headers(forged))
    ).status_code == 401


def _guarded_router() -> Any:
    router = surface_router(prefix="/guarded")
    needs = Depends(Authenticated(surface="crm", permissions={"users.create"}))

    @router.post("")
    async def guarded(principal: Principal = needs) -> dict[str, str]:
        return {"ok": principal.id}

    return router


@pytest.fixture
async def guarded(make_app: Callable[..., NexoApplication]) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(make_app(extra_routers={"crm": [_guarded_router()]})) as client:
        yield client


async def test_permission_denials_are_403_and_audited(
    guarded: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    agent, token = await _agent_token(database, settings)
    denied = await guarded.post("/crm/v1/guarded", headers=auth_headers(token))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert (await guarded.post("/crm/v1/guarded")).status_code == 401
    admin = await create_user(database, tenant=await create_tenant(database), role="admin")
    allowed = await guarded.post(
        "/crm/v1/guarded", headers=auth_headers(await issue_token(database, settings, admin, surface="crm"))
    )
    assert allowed.status_code == 200
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "permission.denied"))
    assert record is not None
    assert record.actor_id == str(agent.id)
    assert record.tenant_id == agent.tenant_id
    assert record.success is False
    assert record.changes == {"missing": {"from": None, "to": ["users.create"]}}


async def test_no_secret_reappears_in_logs_responses_or_rows(
    client: httpx.AsyncClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    login = (
        await client.post("/crm/v1/auth/login", json={"email": agent.email, "password": DEFAULT_PASSWORD})
    ).json()
    headers = auth_headers(login["access_token"])
    enabled = (await client.post("/crm/v1/auth/2fa/enable", headers=headers)).json()
    await client.post(
        "/crm/v1/auth/2fa/verify", headers=headers, json={"code": pyotp.TOTP(enabled["secret"]).now()}
    )
    refreshed = (
        await client.post("/crm/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    ).json()
    me = await client.get("/crm/v1/users/me", headers=auth_headers(refreshed["access_token"]))
    await client.post(
        "/crm/v1/auth/login", json={"email": agent.email, "password": "wrong " + DEFAULT_PASSWORD}
    )

    secrets = [
        DEFAULT_PASSWORD,
        login["refresh_token"],
        refreshed["refresh_token"],
        enabled["secret"],
        *enabled["backup_codes"],
    ]
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in me.text
    async with database.transaction(tenant_id=tenant.id) as session:
        user = await session.get(User, agent.id)
        assert user is not None and user.totp_secret_encrypted is not None
        assert enabled["secret"] not in user.totp_secret_encrypted
        assert DEFAULT_PASSWORD not in (user.password_hash or "")
        stored = set(await session.scalars(select(RefreshToken.token_hash)))
        codes = set(await session.scalars(select(BackupCode.code_hash)))
        audit = " ".join(str(row.changes) for row in await session.scalars(select(AuditRecord)))
    assert not stored & {login["refresh_token"], refreshed["refresh_token"]}
    assert not codes & set(enabled["backup_codes"])
    for secret in secrets:
        assert secret not in audit
