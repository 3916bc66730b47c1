"""crm §1 and §2.7–2.8 through HTTP: login, refresh, logout, password change, 2FA, my profile."""

from __future__ import annotations

import time

import httpx
import pyotp
from sqlalchemy import select
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.tenancy import allow_all_tenants

BASE = "/crm/v1"


async def _login(client: httpx.AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    return await client.post(f"{BASE}/auth/login", json={"email": email, "password": password})


async def _actions(database: Database) -> list[str]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        return list(await session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


async def test_login_answers_in_the_spec_shape(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent", first_name="Juan", last_name="Pérez")
    response = await _login(client, agent.email.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "user"}
    assert body["expires_in"] == 3600
    assert body["user"] == {
        "id": agent.id,
        "email": agent.email,
        "first_name": "Juan",
        "last_name": "Pérez",
        "role": {"id": body["user"]["role"]["id"], "name": "agent", "display_name": "Agente"},
        "permissions": body["user"]["permissions"],
    }
    assert {"chats.read", "chats.update", "messages.create"} <= set(body["user"]["permissions"])
    assert "users.create" not in body["user"]["permissions"]
    assert "auth.login" in await _actions(database)


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    wrong = await _login(client, agent.email, "not the password")
    unknown = await _login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert (await _actions(database)).count("auth.login_failed") == 2


async def test_inactive_users_and_other_families_cannot_sign_in(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    inactive = await create_user(database, tenant=tenant, role="agent", status="inactive")
    refused = await _login(client, inactive.email)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ACCOUNT_DISABLED"
    collector = await create_user(database, tenant=tenant, surface="collections", role="collector")
    assert (await _login(client, collector.email)).status_code == 401


async def test_validation_errors_are_422_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{BASE}/auth/login", json={"email": "a@b.co"})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "password", "message": "Field required"}]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    first = (await _login(client, agent.email)).json()
    rotated = await client.post(f"{BASE}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert set(second) == {"access_token", "refresh_token", "expires_in"}
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get(f"{BASE}/users/me", headers=auth_headers(second["access_token"]))
    ).status_code == 200

    replay = await client.post(f"{BASE}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # The whole family is gone: the legitimate newest refresh token and its access token too.
    after = await client.post(f"{BASE}/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    me = await client.get(f"{BASE}/users/me", headers=auth_headers(second["access_token"]))
    assert me.status_code == 401
    assert "auth.refresh_reuse_detected" in await _actions(database)


async def test_refresh_tokens_belong_to_their_surface(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, role="admin", surface="crm")
    tokens = (await _login(client, user.email)).json()
    other = await client.post("/collections/v1/auth/refresh", json={"refreshToken": tokens["refresh_token"]})
    assert other.status_code == 401
    assert (
        await client.post(f"{BASE}/auth/refresh", json={"refresh_token": "nx_rt_forged"})
    ).status_code == 401


async def test_logout_ends_the_session(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    tokens = (await _login(client, agent.email)).json()
    headers = auth_headers(tokens["access_token"])
    response = await client.post(f"{BASE}/auth/logout", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"message": "Sesión cerrada exitosamente"}
    assert (await client.get(f"{BASE}/users/me", headers=headers)).status_code == 401
    assert (
        await client.post(f"{BASE}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    assert (await client.post(f"{BASE}/auth/logout")).status_code == 401
    assert "auth.logout" in await _actions(database)


async def test_changing_the_password_ends_other_sessions(
    client: httpx.AsyncClient, database: Database
) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    laptop = (await _login(client, agent.email)).json()
    phone = (await _login(client, agent.email)).json()
    url = f"{BASE}/auth/change-password"
    headers = auth_headers(laptop["access_token"])

    wrong = await client.put(
        url, headers=headers, json={"current_password": "nope", "new_password": "a new passphrase"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "current_password"
    weak = await client.put(
        url, headers=headers, json={"current_password": DEFAULT_PASSWORD, "new_password": "short"}
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["details"][0]["field"] == "new_password"
    same_as_email = await client.put(
        url, headers=headers, json={"current_password": DEFAULT_PASSWORD, "new_password": agent.email}
    )
    assert same_as_email.status_code == 422

    done = await client.put(
        url, headers=headers, json={"current_password": DEFAULT_PASSWORD, "new_password": "a new passphrase"}
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"message": "Contraseña actualizada exitosamente"}
    assert (await client.get(f"{BASE}/users/me", headers=headers)).status_code == 200
    assert (
        await client.get(f"{BASE}/users/me", headers=auth_headers(phone["access_token"]))
    ).status_code == 401
    assert (
        await client.post(f"{BASE}/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    ).status_code == 401
    assert (await _login(client, agent.email)).status_code == 401
    assert (await _login(client, agent.email, "a new passphrase")).status_code == 200
    assert "auth.password_changed" in await _actions(database)


async def _enable_2fa(client: httpx.AsyncClient, token: str) -> tuple[pyotp.TOTP, list[str], str]:
    """Enable 2FA; returns the TOTP, the backup codes and the code that activated it."""
    enabled = await client.post(f"{BASE}/auth/2fa/enable", headers=auth_headers(token))
    assert enabled.status_code == 200, enabled.text
    body = enabled.json()
    assert set(body) == {"secret", "qr_code", "backup_codes"}
    assert body["qr_code"].startswith("data:image/png;base64,")
    assert len(body["backup_codes"]) == 10 == len(set(body["backup_codes"]))
    totp = pyotp.TOTP(body["secret"])
    wrong = await client.post(f"{BASE}/auth/2fa/verify", headers=auth_headers(token), json={"code": "000000"})
    assert wrong.status_code == 422
    activation_code = totp.now()
    verified = await client.post(
        f"{BASE}/auth/2fa/verify", headers=auth_headers(token), json={"code": activation_code}
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["two_factor_enabled"] is True
    return totp, body["backup_codes"], activation_code


async def test_two_factor_login_takes_two_steps(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    token = (await _login(client, agent.email)).json()["access_token"]
    totp, backup_codes, activation_code = await _enable_2fa(client, token)
    again = await client.post(f"{BASE}/auth/2fa/enable", headers=auth_headers(token))
    assert again.status_code == 409

    first_step = await _login(client, agent.email)
    assert first_step.status_code == 200
    challenge = first_step.json()
    assert set(challenge) == {"two_factor_required", "challenge_token", "expires_in"}
    assert challenge["two_factor_required"] is True

    # The code used to activate 2FA cannot be replayed; the next step's code works.
    replay = await client.post(
        f"{BASE}/auth/2fa/login",
        json={"challenge_token": challenge["challenge_token"], "code": activation_code},
    )
    assert replay.status_code == 401
    done = await client.post(
        f"{BASE}/auth/2fa/login",
        json={"challenge_token": challenge["challenge_token"], "code": totp.at(time.time() + 30)},
    )
    assert done.status_code == 200, done.text
    assert set(done.json()) == {"access_token", "refresh_token", "expires_in", "user"}
    reused = await client.post(
        f"{BASE}/auth/2fa/login",
        json={"challenge_token": challenge["challenge_token"], "code": totp.at(time.time() + 30)},
    )
    assert reused.status_code == 401

    with_backup = (await _login(client, agent.email)).json()["challenge_token"]
    ok = await client.post(
        f"{BASE}/auth/2fa/login", json={"challenge_token": with_backup, "backup_code": backup_codes[0]}
    )
    assert ok.status_code == 200, ok.text
    spent = (await _login(client, agent.email)).json()["challenge_token"]
    again_backup = await client.post(
        f"{BASE}/auth/2fa/login", json={"challenge_token": spent, "backup_code": backup_codes[0]}
    )
    assert again_backup.status_code == 401
    actions = await _actions(database)
    assert {"auth.2fa_enabled", "auth.login_challenge_issued", "auth.2fa_failed"} <= set(actions)


async def test_a_challenge_dies_after_five_wrong_codes(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    token = (await _login(client, agent.email)).json()["access_token"]
    totp, _, _ = await _enable_2fa(client, token)
    challenge = (await _login(client, agent.email)).json()["challenge_token"]
    for _ in range(5):
        wrong = await client.post(
            f"{BASE}/auth/2fa/login", json={"challenge_token": challenge, "code": "123456"}
        )
        assert wrong.status_code == 401
    right = await client.post(
        f"{BASE}/auth/2fa/login", json={"challenge_token": challenge, "code": totp.at(time.time() + 30)}
    )
    assert right.status_code == 401
    assert right.json()["error"]["code"] == "INVALID_CHALLENGE"


async def test_disabling_2fa_needs_password_and_code(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    token = (await _login(client, agent.email)).json()["access_token"]
    _, backup_codes, _ = await _enable_2fa(client, token)
    url = f"{BASE}/auth/2fa/disable"
    no_code = await client.post(
        url, headers=auth_headers(token), json={"password": DEFAULT_PASSWORD, "code": "111111"}
    )
    assert no_code.status_code == 422
    done = await client.post(
        url, headers=auth_headers(token), json={"password": DEFAULT_PASSWORD, "backup_code": backup_codes[1]}
    )
    assert done.status_code == 200, done.text
    assert set((await _login(client, agent.email)).json()) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "user",
    }


async def test_my_profile(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent", first_name="Juan")
    headers = auth_headers((await _login(client, agent.email)).json()["access_token"])
    me = await client.get(f"{BASE}/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["first_name"] == "Juan"
    assert me.json()["two_factor_enabled"] is False
    assert me.json()["last_login_at"] is not None
    updated = await client.put(
        f"{BASE}/users/me", headers=headers, json={"first_name": "Juanito", "phone": "+573001234567"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["first_name"] == "Juanito"
    assert updated.json()["phone"] == "+573001234567"
    assert (
        await client.put(f"{BASE}/users/me", headers=headers, json={"phone": "300 123"})
    ).status_code == 422
    assert (
        await client.put(f"{BASE}/users/me", headers=headers, json={"first_name": None})
    ).status_code == 422
    assert (
        await client.put(f"{BASE}/users/me", headers=headers, json={"email": "x@y.co"})
    ).status_code == 422
    assert "user.profile_updated" in await _actions(database)
