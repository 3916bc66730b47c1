"""collections §2, §3 and §9 through HTTP: register, login, refresh, logout, me, the organization,
its users and invitations."""

from __future__ import annotations

import httpx
import pytest
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user, issue_token

from nexo.core.db.session import Database
from nexo.core.settings import Settings

BASE = "/collections/v1"
REGISTRATION = {
    "email": "Usuario@Empresa.com",
    "password": "SecurePass123!",
    "nombre": "Juan García",
    "organizacion": {"nombre": "Mi Empresa S.A.", "rfc": "XAXX010101000"},
}


async def _register(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    response = await client.post(f"{BASE}/auth/register", json={**REGISTRATION, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_register_creates_the_organization_and_its_owner(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = await _register(client)
    assert set(body) == {"user", "organization", "tokens"}
    user, organization, tokens = body["user"], body["organization"], body["tokens"]
    assert isinstance(user, dict) and isinstance(organization, dict) and isinstance(tokens, dict)
    assert user["email"] == "usuario@empresa.com"
    assert user["nombre"] == "Juan García"
    assert user["role"] == "owner"
    assert organization["nombre"] == "Mi Empresa S.A."
    assert set(tokens) == {"accessToken", "refreshToken", "expiresIn"}
    assert tokens["expiresIn"] == 900
    me = await client.get(f"{BASE}/auth/me", headers=auth_headers(str(tokens["accessToken"])))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user["id"]
    assert me.json()["organization"]["id"] == organization["id"]
    assert {"cartera:read", "cartera:write", "clientes:read"} <= set(me.json()["permissions"])
    org = await client.get(f"{BASE}/organizations/current", headers=auth_headers(str(tokens["accessToken"])))
    assert org.json()["rfc"] == "XAXX010101000"
    assert org.json()["settings"]["timezone"] == "America/Mexico_City"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"organizacion": {"nombre": "X", "rfc": "123"}}, "rfc"),
        ({"nombre": ""}, "nombre"),
    ],
)
async def test_register_validation_is_400(
    client: httpx.AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await client.post(f"{BASE}/auth/register", json={**REGISTRATION, **change})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"][0]["field"].endswith(field)
    assert response.json()["error"]["requestId"]


async def test_login_refresh_logout(client: httpx.AsyncClient) -> None:
    registered = await _register(client)
    login = await client.post(
        f"{BASE}/auth/login", json={"email": REGISTRATION["email"], "password": REGISTRATION["password"]}
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert set(body) == {"user", "tokens"}
    assert body["user"]["organizationId"] == registered["organization"]["id"]  # type: ignore[index]
    assert body["user"]["role"] == "owner"
    refreshed = await client.post(
        f"{BASE}/auth/refresh", json={"refreshToken": body["tokens"]["refreshToken"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()) == {"accessToken", "refreshToken", "expiresIn"}
    snake = await client.post(
        f"{BASE}/auth/refresh", json={"refresh_token": refreshed.json()["refreshToken"]}
    )
    assert snake.status_code == 400
    headers = auth_headers(refreshed.json()["accessToken"])
    out = await client.post(f"{BASE}/auth/logout", headers=headers)
    assert out.status_code == 204
    assert out.content == b""
    assert (await client.get(f"{BASE}/auth/me", headers=headers)).status_code == 401


async def test_the_same_email_in_two_organizations(client: httpx.AsyncClient) -> None:
    first = await _register(client)
    second = await _register(client, organizacion={"nombre": "Otra Empresa"})
    ambiguous = await client.post(
        f"{BASE}/auth/login", json={"email": REGISTRATION["email"], "password": REGISTRATION["password"]}
    )
    assert ambiguous.status_code == 400
    assert ambiguous.json()["error"]["code"] == "TENANT_REQUIRED"
    for registered in (first, second):
        org_id = registered["organization"]["id"]  # type: ignore[index]
        chosen = await client.post(
            f"{BASE}/auth/login",
            json={"email": REGISTRATION["email"], "password": REGISTRATION["password"], "tenant": org_id},
        )
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["user"]["organizationId"] == org_id


async def test_patch_the_organization(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    body = await _register(client)
    headers = auth_headers(str(body["tokens"]["accessToken"]))  # type: ignore[index]
    patched = await client.patch(
        f"{BASE}/organizations/current",
        headers=headers,
        json={
            "nombre": "Mi Empresa Actualizada S.A.",
            "settings": {"timezone": "America/Monterrey", "emailDomain": "empresa.com"},
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["nombre"] == "Mi Empresa Actualizada S.A."
    assert patched.json()["settings"] == {
        "timezone": "America/Monterrey",
        "currency": "MXN",
        "emailDomain": "empresa.com",
    }
    bad_zone = await client.patch(
        f"{BASE}/organizations/current", headers=headers, json={"settings": {"timezone": "Mars/Base"}}
    )
    assert bad_zone.status_code == 400
    unknown = await client.patch(
        f"{BASE}/organizations/current", headers=headers, json={"plan": "enterprise"}
    )
    assert unknown.status_code == 400
    tenant = await create_tenant(database)
    collector = await create_user(database, tenant=tenant, surface="collections", role="collector")
    collector_headers = auth_headers(await issue_token(database, settings, collector, surface="collections"))
    assert (await client.get(f"{BASE}/organizations/current", headers=collector_headers)).status_code == 200
    forbidden = await client.patch(
        f"{BASE}/organizations/current", headers=collector_headers, json={"nombre": "Mine"}
    )
    assert forbidden.status_code == 403


async def test_invite_accept_and_sign_in(client: httpx.AsyncClient) -> None:
    owner = await _register(client)
    headers = auth_headers(str(owner["tokens"]["accessToken"]))  # type: ignore[index]
    invited = await client.post(
        f"{BASE}/users/invite",
        headers=headers,
        json={"email": "nuevo@empresa.com", "nombre": "María López", "role": "collector"},
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert invitation["status"] == "invited"
    assert invitation["invitedBy"] == "Juan García"
    assert invitation["email"] == "nuevo@empresa.com"
    listed = await client.get(f"{BASE}/users", headers=headers)
    people = {person["email"]: person for person in listed.json()["data"]}
    assert people["nuevo@empresa.com"]["status"] == "invited"
    assert people["nuevo@empresa.com"]["id"] == invitation["id"]
    assert listed.json()["meta"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}

    # Nobody can sign in as the invitee before the invitation is accepted.
    early = await client.post(
        f"{BASE}/auth/login", json={"email": "nuevo@empresa.com", "password": "anything at all"}
    )
    assert early.status_code == 401
    weak = await client.post(
        f"{BASE}/auth/invitations/accept", json={"token": invitation["invitationToken"], "password": "short"}
    )
    assert weak.status_code == 400
    accepted = await client.post(
        f"{BASE}/auth/invitations/accept",
        json={"token": invitation["invitationToken"], "password": "una clave larga"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["user"]["role"] == "collector"
    again = await client.post(
        f"{BASE}/auth/invitations/accept",
        json={"token": invitation["invitationToken"], "password": "otra clave larga"},
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_INVITATION"
    login = await client.post(
        f"{BASE}/auth/login", json={"email": "nuevo@empresa.com", "password": "una clave larga"}
    )
    assert login.status_code == 200
    duplicate = await client.post(
        f"{BASE}/users/invite",
        headers=headers,
        json={"email": "nuevo@empresa.com", "nombre": "María", "role": "admin"},
    )
    assert duplicate.status_code == 409


async def test_reinviting_replaces_the_old_invitation(client: httpx.AsyncClient) -> None:
    owner = await _register(client)
    headers = auth_headers(str(owner["tokens"]["accessToken"]))  # type: ignore[index]
    body = {"email": "nuevo@empresa.com", "nombre": "María López", "role": "collector"}
    first = (await client.post(f"{BASE}/users/invite", headers=headers, json=body)).json()
    second = (
        await client.post(f"{BASE}/users/invite", headers=headers, json={**body, "role": "admin"})
    ).json()
    assert first["id"] == second["id"]
    stale = await client.post(
        f"{BASE}/auth/invitations/accept",
        json={"token": first["invitationToken"], "password": "una clave larga"},
    )
    assert stale.status_code == 400
    fresh = await client.post(
        f"{BASE}/auth/invitations/accept",
        json={"token": second["invitationToken"], "password": "una clave larga"},
    )
    assert fresh.json()["user"]["role"] == "admin"


async def test_who_may_invite_whom(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    tenant = await create_tenant(database)
    admin = await create_user(database, tenant=tenant, surface="collections", role="admin")
    collector = await create_user(database, tenant=tenant, surface="collections", role="collector")
    admin_headers = auth_headers(await issue_token(database, settings, admin, surface="collections"))
    collector_headers = auth_headers(await issue_token(database, settings, collector, surface="collections"))
    body = {"email": "x@empresa.com", "nombre": "X", "role": "collector"}
    assert (
        await client.post(f"{BASE}/users/invite", headers=collector_headers, json=body)
    ).status_code == 403
    assert (await client.get(f"{BASE}/users", headers=collector_headers)).status_code == 403
    escalate = await client.post(
        f"{BASE}/users/invite", headers=admin_headers, json={**body, "role": "owner"}
    )
    assert escalate.status_code == 403
    unknown = await client.post(f"{BASE}/users/invite", headers=admin_headers, json={**body, "role": "agent"})
    assert unknown.status_code == 400
    assert (await client.post(f"{BASE}/users/invite", headers=admin_headers, json=body)).status_code == 201


async def test_a_crm_user_cannot_use_collections(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, surface="crm", role="agent")
    response = await client.post(
        f"{BASE}/auth/login", json={"email": agent.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401


async def test_collections_password_change(client: httpx.AsyncClient) -> None:
    owner = await _register(client)
    headers = auth_headers(str(owner["tokens"]["accessToken"]))  # type: ignore[index]
    url = f"{BASE}/auth/change-password"
    wrong = await client.post(
        url, headers=headers, json={"currentPassword": "nope", "newPassword": "otra clave larga"}
    )
    assert wrong.status_code == 400
    done = await client.post(
        url,
        headers=headers,
        json={"currentPassword": REGISTRATION["password"], "newPassword": "otra clave larga"},
    )
    assert done.status_code == 204, done.text
    login = await client.post(
        f"{BASE}/auth/login", json={"email": REGISTRATION["email"], "password": "otra clave larga"}
    )
    assert login.status_code == 200
