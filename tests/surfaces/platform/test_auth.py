"""Platform panel sign-in: `accessToken`, `refreshToken`, `user.platformRole`."""

from __future__ import annotations

import httpx
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user, login_token

from nexo.core.db.session import Database


async def test_platform_owner_signs_in(client: httpx.AsyncClient, database: Database) -> None:
    owner = await create_user(database, tenant=None, email="owner@nexo.example")
    response = await client.post(
        "/api/auth/login", json={"email": "Owner@Nexo.example", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"accessToken", "refreshToken", "expiresIn", "user"}
    assert body["user"]["platformRole"] == "PLATFORM_OWNER"
    assert body["user"]["id"] == str(owner.public_id)
    assert body["user"]["email"] == "owner@nexo.example"
    me = await client.get("/api/auth/me", headers=auth_headers(body["accessToken"]))
    assert me.status_code == 200
    assert me.json()["platformRole"] == "PLATFORM_OWNER"
    refreshed = await client.post("/api/auth/refresh", json={"refreshToken": body["refreshToken"]})
    assert refreshed.status_code == 200, refreshed.text
    headers = auth_headers(refreshed.json()["accessToken"])
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_tenant_users_cannot_sign_in_to_the_panel(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, role="admin")
    response = await client.post("/api/auth/login", json={"email": admin.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401
    token = await login_token(client, "crm", admin.email)
    assert (await client.get("/api/auth/me", headers=auth_headers(token))).status_code == 401


async def test_platform_owner_token_does_not_open_tenant_surfaces(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, tenant=None, email="owner@nexo.example")
    token = await login_token(client, "platform", "owner@nexo.example")
    assert (await client.get("/crm/v1/users/me", headers=auth_headers(token))).status_code == 401
    assert (await client.get("/collections/v1/auth/me", headers=auth_headers(token))).status_code == 401


async def test_platform_password_change(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, tenant=None, email="owner@nexo.example")
    token = await login_token(client, "platform", "owner@nexo.example")
    response = await client.post(
        "/api/auth/change-password",
        headers=auth_headers(token),
        json={"currentPassword": DEFAULT_PASSWORD, "newPassword": "the panel's new passphrase"},
    )
    assert response.status_code == 204, response.text
    assert (await client.get("/api/auth/me", headers=auth_headers(token))).status_code == 200
    await login_token(client, "platform", "owner@nexo.example", "the panel's new passphrase")
