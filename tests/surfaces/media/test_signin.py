"""People sign in to media and manage its machine credentials with the token they get."""

from __future__ import annotations

import httpx
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user, login_token

from nexo.core.db.session import Database
from nexo.core.ratelimit.policies import default_policies

BASE = "/media/v2"


async def _login(client: httpx.AsyncClient, email: str) -> dict[str, object]:
    response = await client.post(f"{BASE}/auth/login", json={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


async def test_a_media_admin_signs_in_and_creates_a_key_that_lists_clients(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, surface="media", role="admin")
    body = await _login(client, admin.email)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    user = body["user"]
    assert isinstance(user, dict)
    assert user["email"] == admin.email and user["role"]["name"] == "admin"
    assert {"api_keys.manage", "oauth_clients.manage", "write:webhooks"} <= set(user["permissions"])
    token = str(body["access_token"])

    created = await client.post(
        f"{BASE}/api-keys", json={"name": "ERP", "scopes": ["read:clientes"]}, headers=auth_headers(token)
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    listed = await client.get(f"{BASE}/clientes", headers=auth_headers(key))
    assert listed.status_code == 200, listed.text
    assert "data" in listed.json()
    # The key reads clients only; it was not handed the admin's other rights.
    assert (await client.get(f"{BASE}/ordenes", headers=auth_headers(key))).status_code == 403

    me = await client.get(f"{BASE}/auth/me", headers=auth_headers(token))
    assert me.status_code == 200
    assert me.json()["id"] == admin.id and me.json()["two_factor_enabled"] is False


async def test_a_viewer_reads_but_may_not_create_keys(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    viewer = await create_user(database, tenant=tenant, surface="media", role="viewer")
    token = str((await _login(client, viewer.email))["access_token"])
    assert (await client.get(f"{BASE}/clientes", headers=auth_headers(token))).status_code == 200
    refused = await client.post(
        f"{BASE}/api-keys", json={"name": "ERP", "scopes": ["read:clientes"]}, headers=auth_headers(token)
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    denied = await client.post(f"{BASE}/clientes", json={"nombre": "X"}, headers=auth_headers(token))
    assert denied.status_code == 403


async def test_a_crm_token_is_refused_on_media_and_a_crm_account_cannot_sign_in_here(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    crm_admin = await create_user(database, tenant=tenant, surface="crm", role="admin")
    crm_token = await login_token(client, "crm", crm_admin.email)
    for response in (
        await client.get(f"{BASE}/auth/me", headers=auth_headers(crm_token)),
        await client.get(f"{BASE}/api-keys", headers=auth_headers(crm_token)),
    ):
        assert response.status_code == 401, response.text
    refused = await client.post(
        f"{BASE}/auth/login", json={"email": crm_admin.email, "password": DEFAULT_PASSWORD}
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "INVALID_CREDENTIALS"

    media_admin = await create_user(database, tenant=tenant, surface="media", role="admin")
    media_token = str((await _login(client, media_admin.email))["access_token"])
    assert (await client.get("/crm/v1/users/me", headers=auth_headers(media_token))).status_code == 401


async def test_refresh_rotates_and_logout_ends_the_session(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, surface="media", role="admin")
    body = await _login(client, admin.email)
    refreshed = await client.post(f"{BASE}/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    tokens = refreshed.json()
    assert tokens["refresh_token"] != body["refresh_token"] and tokens["token_type"] == "Bearer"
    token = tokens["access_token"]

    assert (await client.post(f"{BASE}/auth/logout", headers=auth_headers(token))).status_code == 204
    assert (await client.get(f"{BASE}/auth/me", headers=auth_headers(token))).status_code == 401
    reused = await client.post(f"{BASE}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401


async def test_bad_login_input_is_a_4xx_envelope(client: httpx.AsyncClient) -> None:
    missing = await client.post(f"{BASE}/auth/login", json={"email": "a@b.example"})
    assert missing.status_code in (400, 422)
    assert "error" in missing.json()
    extra = await client.post(
        f"{BASE}/auth/login", json={"email": "a@b.example", "password": "x", "remember": True}
    )
    assert extra.status_code in (400, 422)
    unknown = await client.post(f"{BASE}/auth/login", json={"email": "nobody@b.example", "password": "x"})
    assert unknown.status_code == 401


def test_sign_in_is_limited_per_address_with_the_2fa_step_counted_as_a_login() -> None:
    media = default_policies()["media"]
    for path in ("/v2/auth/login", "/v2/auth/2fa/login"):
        rule = media.rule_for("ip", "POST", path)
        assert rule is not None and rule.name == "login"
    refresh = media.rule_for("ip", "POST", "/v2/auth/refresh")
    assert refresh is not None and refresh.name == "auth"
    assert media.rule_for("ip", "GET", "/v2/clientes") is None
