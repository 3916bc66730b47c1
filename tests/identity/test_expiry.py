"""Short-lived secrets stop working when their time is up: refresh tokens, 2FA challenges, invitations."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import update
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_tenant, create_user

from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.tenancy import allow_all_tenants
from nexo.identity.models import Invitation, LoginChallenge, RefreshToken

PAST = timedelta(seconds=-1)


async def _expire(database: Database, model: type[RefreshToken | LoginChallenge | Invitation]) -> None:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test moves expiry times into the past")
        await session.execute(update(model).values(expires_at=utcnow() + PAST))


async def test_an_expired_refresh_token_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    login = await client.post("/crm/v1/auth/login", json={"email": agent.email, "password": DEFAULT_PASSWORD})
    await _expire(database, RefreshToken)
    response = await client.post(
        "/crm/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert response.status_code == 401


async def test_an_expired_challenge_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    agent = await create_user(database, tenant=tenant, role="agent")
    login = (
        await client.post("/crm/v1/auth/login", json={"email": agent.email, "password": DEFAULT_PASSWORD})
    ).json()
    headers = auth_headers(login["access_token"])
    totp = pyotp.TOTP((await client.post("/crm/v1/auth/2fa/enable", headers=headers)).json()["secret"])
    await client.post("/crm/v1/auth/2fa/verify", headers=headers, json={"code": totp.now()})
    challenge = (
        await client.post("/crm/v1/auth/login", json={"email": agent.email, "password": DEFAULT_PASSWORD})
    ).json()
    await _expire(database, LoginChallenge)
    response = await client.post(
        "/crm/v1/auth/2fa/login",
        json={"challenge_token": challenge["challenge_token"], "backup_code": "aaaa-bbbb"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CHALLENGE"


async def test_an_expired_invitation_is_refused(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    owner = await create_user(database, tenant=tenant, surface="collections", role="owner")
    login = await client.post(
        "/collections/v1/auth/login", json={"email": owner.email, "password": DEFAULT_PASSWORD}
    )
    headers = auth_headers(login.json()["tokens"]["accessToken"])
    invited = await client.post(
        "/collections/v1/users/invite",
        headers=headers,
        json={"email": "late@empresa.com", "nombre": "Tardío", "role": "collector"},
    )
    await _expire(database, Invitation)
    response = await client.post(
        "/collections/v1/auth/invitations/accept",
        json={"token": invited.json()["invitationToken"], "password": "una clave larga"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_INVITATION"
