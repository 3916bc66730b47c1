"""Media OAuth 2.0 client credentials: `POST /media/oauth/token` (RFC 6749 §4.4, §5)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import quote_plus

import httpx
import pytest
from sqlalchemy import select
from tests.credentials.builders import PROBE_PATHS, actor_for, bearer, make_api_key, make_client, probe_client
from tests.identity_support import create_tenant, create_user, issue_token

from nexo.app import NexoApplication
from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.permissions import MANAGE_API_KEYS

TOKEN = "/media/oauth/token"
CLIENTS = "/media/v2/oauth/clients"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def test_json_client_credentials_as_the_spec_shows(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database, plan="premium")
    issued = await make_client(database, tenant, scopes=["read:clientes", "write:ordenes", "read:ordenes"])
    payload = {
        "grant_type": "client_credentials",
        "client_id": issued.client.client_id,
        "client_secret": issued.secret,
        "scope": "read:clientes write:ordenes",
    }
    async with probe_client(make_app) as client:
        response = await client.post(TOKEN, json=payload)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body == {
            "access_token": body["access_token"],
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "read:clientes write:ordenes",
        }
        who = await client.get(PROBE_PATHS["media"], headers=bearer(body["access_token"]))
    assert who.status_code == 200, who.text
    assert who.json() | {"session_id": None} == {
        "kind": "oauth_client",
        "id": issued.client.client_id,
        "tenant_id": tenant.id,
        "permissions": ["read:clientes", "write:ordenes"],
        "plan": "premium",
        "session_id": None,
    }


async def test_form_encoding_with_http_basic_and_default_scopes(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(database, tenant)
    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers=_basic(issued.client.client_id, issued.secret),
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read:clientes write:ordenes"  # no scope asked: all allowed


async def test_a_wrong_secret_is_invalid_client_401_and_is_audited(
    client: httpx.AsyncClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(database, tenant)
    wrong = issued.secret[:-3] + "xyz"
    response = await client.post(
        TOKEN,
        json={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": wrong,
        },
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }
    assert response.headers["www-authenticate"].startswith("Basic")
    async with database.transaction(tenant_id=tenant.id) as session:
        records = list(await session.scalars(select(AuditRecord).where(AuditRecord.success.is_(False))))
    assert [(r.action, r.entity_id) for r in records] == [
        ("oauth.client_auth_failed", issued.client.client_id)
    ]
    assert wrong not in str(records[0].changes)
    assert all(wrong not in record.getMessage() for record in caplog.records)


async def test_an_unknown_client_gets_the_same_answer(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TOKEN,
        json={"grant_type": "client_credentials", "client_id": "nxc_nobody", "client_secret": "whatever"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_scope_escalation_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(database, tenant, scopes=["read:clientes"])
    response = await client.post(
        TOKEN,
        json={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
            "scope": "read:clientes write:clientes",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("content", "headers", "error"),
    [
        (b'{"client_id": "x"}', {"content-type": "application/json"}, "invalid_request"),
        (b"{not json", {"content-type": "application/json"}, "invalid_request"),
        (b'["grant_type"]', {"content-type": "application/json"}, "invalid_request"),
        (b'{"grant_type": ["client_credentials"]}', {"content-type": "application/json"}, "invalid_request"),
        (b"grant_type=client_credentials", {"content-type": "text/plain"}, "invalid_request"),
        (
            b"grant_type=password&username=a&password=b",
            {"content-type": "application/x-www-form-urlencoded"},
            "unsupported_grant_type",
        ),
        (
            b"grant_type=authorization_code&code=x",
            {"content-type": "application/x-www-form-urlencoded"},
            "unsupported_grant_type",
        ),
        (
            b"grant_type=client_credentials&grant_type=client_credentials",
            {"content-type": "application/x-www-form-urlencoded"},
            "invalid_request",
        ),
        (
            b"grant_type=client_credentials&client_id=x",
            {"content-type": "application/x-www-form-urlencoded"},
            "invalid_client",
        ),
        (
            b"grant_type=client_credentials",
            {"authorization": "Basic !!!", "content-type": "application/x-www-form-urlencoded"},
            "invalid_client",
        ),
    ],
)
async def test_malformed_requests_get_rfc_6749_errors(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], error: str
) -> None:
    response = await client.post(TOKEN, content=content, headers=headers)
    assert response.status_code == (401 if error == "invalid_client" else 400), response.text
    body = response.json()
    assert body["error"] == error
    assert set(body) == {"error", "error_description"}  # not the Nexo envelope


async def test_two_client_authentication_methods_at_once_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(database, tenant)
    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_secret": issued.secret},
        headers=_basic(issued.client.client_id, issued.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_the_token_endpoint_is_outside_v2(client: httpx.AsyncClient) -> None:
    response = await client.post("/media/v2/oauth/token", json={"grant_type": "client_credentials"})
    assert response.status_code in {404, 405}


async def test_a_host_bound_media_surface_serves_the_spec_url(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(database, tenant)
    application = make_app(host_media="api.pautas.test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://api.pautas.test"
    ) as client:
        response = await client.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": issued.client.client_id,
                "client_secret": issued.secret,
            },
        )
    assert response.status_code == 200, response.text


async def test_tokens_are_bound_to_their_surface_tenant_and_live_client(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant_a, tenant_b = await create_tenant(database), await create_tenant(database)
    issued = await make_client(database, tenant_a)
    key_b = await make_api_key(database, tenant_b)
    payload = {
        "grant_type": "client_credentials",
        "client_id": issued.client.client_id,
        "client_secret": issued.secret,
    }
    async with probe_client(make_app) as client:
        token = (await client.post(TOKEN, json=payload)).json()["access_token"]
        assert (await client.get(PROBE_PATHS["tasks"], headers=bearer(token))).status_code == 401
        other_tenant = await client.get(
            f"{PROBE_PATHS['media']}/api-keys/{key_b.key.id}", headers=bearer(token)
        )
        assert other_tenant.status_code == 404
        async with database.transaction(tenant_id=tenant_a.id) as session:
            from nexo.credentials.oauth.clients import revoke_client

            await revoke_client(
                session, actor=actor_for(tenant_a), surface="media", client_id=issued.client.client_id
            )
        assert (await client.get(PROBE_PATHS["media"], headers=bearer(token))).status_code == 401
        again = await client.post(TOKEN, json=payload)
    assert again.status_code == 401
    assert again.json()["error"] == "invalid_client"


async def test_a_tasks_client_cannot_use_the_media_token_endpoint(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    issued = await make_client(
        database, tenant, surface="tasks", scopes=["tasks:read"], redirect_uris=["https://app.example/cb"]
    )
    response = await client.post(
        TOKEN,
        json={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_managers_create_list_and_revoke_clients(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    user = await create_user(
        database, tenant=tenant, surface="media", role="integrations", permissions=[MANAGE_API_KEYS]
    )
    token = await issue_token(database, settings, user, surface="media")
    created = await client.post(
        CLIENTS, json={"name": "Facturación", "scopes": ["read:ordenes"]}, headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["grant_types"] == ["client_credentials"] and body["scopes"] == ["read:ordenes"]
    secret = body["client_secret"]
    granted = await client.post(
        TOKEN,
        json={"grant_type": "client_credentials", "client_id": body["client_id"], "client_secret": secret},
    )
    assert granted.status_code == 200
    listed = await client.get(CLIENTS, headers=bearer(token))
    assert [item["client_id"] for item in listed.json()["data"]] == [body["client_id"]]
    assert secret not in listed.text
    assert (await client.delete(f"{CLIENTS}/{body['client_id']}", headers=bearer(token))).status_code == 204
    refused = await client.post(
        TOKEN,
        json={"grant_type": "client_credentials", "client_id": body["client_id"], "client_secret": secret},
    )
    assert refused.status_code == 401
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        actions = set(
            await session.scalars(select(AuditRecord.action).where(AuditRecord.tenant_id == tenant.id))
        )
    assert {
        "oauth_client.created",
        "oauth.token_granted",
        "oauth_client.revoked",
        "oauth.client_auth_failed",
    } <= actions


async def test_bad_client_registration_is_a_422(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    user = await create_user(
        database, tenant=tenant, surface="media", role="integrations", permissions=[MANAGE_API_KEYS]
    )
    token = await issue_token(database, settings, user, surface="media")
    response = await client.post(CLIENTS, json={"name": "x", "scopes": ["tasks:read"]}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
