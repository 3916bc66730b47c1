"""People sign in to tasks, register OAuth clients, and finish a sign-in with 2FA."""

from __future__ import annotations

import httpx
import pyotp
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user

from nexo.core.db.session import Database
from nexo.core.ratelimit.policies import default_policies

BASE = "/tasks/v1"
CLIENT = {
    "client_name": "Mi ERP",
    "redirect_uri": "https://tu-sistema.example/callback",
    "scopes": ["tasks:read", "tasks:write"],
}


async def _login(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(f"{BASE}/auth/login", json={"email": email, "password": DEFAULT_PASSWORD})


async def test_a_tasks_admin_signs_in_and_registers_an_oauth_client(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, surface="tasks", role="admin")
    response = await _login(client, admin.email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["user"]["permissions"]) == {"oauth_clients.manage", "tasks:read", "tasks:write"}
    token = body["access_token"]

    registered = await client.post(f"{BASE}/auth/register", json=CLIENT, headers=auth_headers(token))
    assert registered.status_code == 201, registered.text
    assert registered.json()["client_secret"]
    assert (await client.get(f"{BASE}/tasks", headers=auth_headers(token))).status_code == 200


async def test_a_member_works_with_tasks_but_may_not_register_clients(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    member = await create_user(database, tenant=tenant, surface="tasks", role="member")
    token = (await _login(client, member.email)).json()["access_token"]
    assert (await client.get(f"{BASE}/tasks", headers=auth_headers(token))).status_code == 200
    refused = await client.post(f"{BASE}/auth/register", json=CLIENT, headers=auth_headers(token))
    assert refused.status_code == 403, refused.text


async def test_a_media_token_is_refused_on_tasks(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    media_admin = await create_user(database, tenant=tenant, surface="media", role="admin")
    login = await client.post(
        "/media/v2/auth/login", json={"email": media_admin.email, "password": DEFAULT_PASSWORD}
    )
    token = login.json()["access_token"]
    refused = await client.post(f"{BASE}/auth/register", json=CLIENT, headers=auth_headers(token))
    assert refused.status_code == 401
    assert (await _login(client, media_admin.email)).status_code == 401


async def test_two_factor_enrolment_and_second_step(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, surface="tasks", role="admin")
    headers = auth_headers((await _login(client, admin.email)).json()["access_token"])
    enabled = await client.post(f"{BASE}/auth/2fa/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    totp = pyotp.TOTP(enabled.json()["secret"])
    verified = await client.post(f"{BASE}/auth/2fa/verify", headers=headers, json={"code": totp.now()})
    assert verified.json() == {"two_factor_enabled": True}

    challenge = (await _login(client, admin.email)).json()
    assert challenge["two_factor_required"] is True and "access_token" not in challenge
    wrong = await client.post(
        f"{BASE}/auth/2fa/login", json={"challenge_token": challenge["challenge_token"], "code": "000000"}
    )
    assert wrong.status_code == 401
    # The activation code cannot be replayed within its step, so finish with a backup code.
    done = await client.post(
        f"{BASE}/auth/2fa/login",
        json={
            "challenge_token": challenge["challenge_token"],
            "backup_code": enabled.json()["backup_codes"][0],
        },
    )
    assert done.status_code == 200, done.text
    me = await client.get(f"{BASE}/auth/me", headers=auth_headers(done.json()["access_token"]))
    assert me.json()["two_factor_enabled"] is True


def test_sign_in_has_its_own_quota_before_the_oauth_routes() -> None:
    tasks = default_policies()["tasks"]
    login = tasks.rule_for("ip", "POST", "/v1/auth/login")
    token = tasks.rule_for("ip", "POST", "/v1/auth/token")
    assert login is not None and login.name == "login"
    assert token is not None and token.name == "auth"
