"""Tasks OAuth 2.0: client registration, authorization code with PKCE, refresh rotation, and the
attacks each rule is there to stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from tests.credentials.builders import PROBE_PATHS, bearer, make_client, pkce_pair, probe_client
from tests.identity_support import create_tenant, create_user, issue_token

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.models import OAuthAuthorizationCode, OAuthGrant
from nexo.credentials.oauth.grants import revoke_grants_of_user
from nexo.credentials.permissions import MANAGE_OAUTH_CLIENTS
from nexo.tenants.models import Tenant

REGISTER = "/tasks/v1/auth/register"
AUTHORIZE = "/tasks/v1/auth/authorize"
TOKEN = "/tasks/v1/auth/token"
PROBE = PROBE_PATHS["tasks"]
CALLBACK = "https://tu-sistema.example/callback"


async def _user_token(
    database: Database, settings: Settings, tenant: Tenant, permission: str = "tasks.read"
) -> str:
    """A tasks-surface user's access token, holding exactly `permission`."""
    user = await create_user(
        database, tenant=tenant, surface="tasks", role="integrador", permissions=[permission]
    )
    return await issue_token(database, settings, user, surface="tasks")


@dataclass
class World:
    client: httpx.AsyncClient
    database: Database
    settings: Settings
    tenant: Tenant
    user_token: str
    client_id: str
    client_secret: str


@pytest.fixture
async def world(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> AsyncIterator[World]:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant)
    issued = await make_client(
        database, tenant, surface="tasks", scopes=["tasks:read", "tasks:write"], redirect_uris=[CALLBACK]
    )
    async with probe_client(make_app) as client:
        yield World(client, database, settings, tenant, token, issued.client.client_id, issued.secret)


def _authorize_params(world: World, challenge: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": world.client_id,
        "redirect_uri": CALLBACK,
        "scope": "tasks:read tasks:write",
        "state": "xyz-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


async def _authorize(world: World, challenge: str, **overrides: str | None) -> httpx.Response:
    return await world.client.get(
        AUTHORIZE, params=_authorize_params(world, challenge, **overrides), headers=bearer(world.user_token)
    )


def _query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def _code(world: World, challenge: str, **overrides: str | None) -> str:
    query = _query(await _authorize(world, challenge, **overrides))
    assert query["state"] == "xyz-123"
    return query["code"]


async def _exchange(world: World, code: str, verifier: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": world.client_id,
        "client_secret": world.client_secret,
    } | overrides
    return await world.client.post(TOKEN, data=form)


async def _refresh(world: World, refresh_token: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": world.client_id,
        "client_secret": world.client_secret,
    } | overrides
    return await world.client.post(TOKEN, data=form)


async def test_the_whole_authorization_code_flow(world: World) -> None:
    verifier, challenge = pkce_pair()
    location = urlsplit((await _authorize(world, challenge)).headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    code = await _code(world, challenge)
    response = await _exchange(world, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["scope"] == "tasks:read tasks:write"
    who = await world.client.get(PROBE, headers=bearer(body["access_token"]))
    assert who.status_code == 200, who.text
    assert who.json()["kind"] == "oauth_client"
    assert who.json()["permissions"] == ["tasks:read", "tasks:write"]
    assert who.json()["tenant_id"] == world.tenant.id
    # Audience: a tasks token is nobody on the media surface.
    assert (
        await world.client.get(PROBE_PATHS["media"], headers=bearer(body["access_token"]))
    ).status_code == 401


async def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_grant(world: World) -> None:
    verifier, challenge = pkce_pair()
    first = (await _exchange(world, await _code(world, challenge), verifier)).json()
    second = await _refresh(world, first["refresh_token"], scope="tasks:read")
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["scope"] == "tasks:read"
    assert (await world.client.get(PROBE, headers=bearer(rotated["access_token"]))).status_code == 200

    replay = await _refresh(world, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The whole grant is gone: the newest access and refresh tokens too.
    assert (await world.client.get(PROBE, headers=bearer(rotated["access_token"]))).status_code == 401
    assert (await _refresh(world, rotated["refresh_token"])).json()["error"] == "invalid_grant"


async def test_refresh_cannot_widen_the_granted_scopes(world: World) -> None:
    verifier, challenge = pkce_pair()
    code = await _code(world, challenge, scope="tasks:read")
    granted = (await _exchange(world, code, verifier)).json()
    wider = await _refresh(world, granted["refresh_token"], scope="tasks:read tasks:write")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


async def test_a_pkce_verifier_mismatch_is_invalid_grant(world: World) -> None:
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    response = await _exchange(world, await _code(world, challenge), other_verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(world: World) -> None:
    verifier, challenge = pkce_pair()
    code = await _code(world, challenge)
    first = (await _exchange(world, code, verifier)).json()
    assert (await world.client.get(PROBE, headers=bearer(first["access_token"]))).status_code == 200
    again = await _exchange(world, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert (await world.client.get(PROBE, headers=bearer(first["access_token"]))).status_code == 401
    assert (await _refresh(world, first["refresh_token"])).json()["error"] == "invalid_grant"


async def test_concurrent_redemptions_of_one_code_yield_one_token(world: World) -> None:
    verifier, challenge = pkce_pair()
    code = await _code(world, challenge)
    responses = await asyncio.gather(*(_exchange(world, code, verifier) for _ in range(4)))
    assert sorted(response.status_code for response in responses) == [200, 400, 400, 400]


@pytest.mark.parametrize(
    ("change", "value"),
    [("redirect_uri", "https://tu-sistema.example/other"), ("client", "other"), ("expired", "")],
)
async def test_a_code_only_works_for_its_client_redirect_uri_and_ten_minutes(
    world: World, change: str, value: str
) -> None:
    verifier, challenge = pkce_pair()
    code = await _code(world, challenge)
    overrides: dict[str, str] = {}
    if change == "redirect_uri":
        overrides["redirect_uri"] = value
    elif change == "client":
        other = await make_client(
            world.database, world.tenant, surface="tasks", scopes=["tasks:read"], redirect_uris=[CALLBACK]
        )
        overrides = {"client_id": other.client.client_id, "client_secret": other.secret}
    else:
        async with world.database.transaction() as session:
            allow_all_tenants(session, reason="test ages a code")
            past = utcnow() - timedelta(seconds=1)
            await session.execute(update(OAuthAuthorizationCode).values(expires_at=past))
    response = await _exchange(world, code, verifier, **overrides)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "tasks:read tasks:admin"}, "invalid_scope"),
    ],
)
async def test_authorization_errors_go_back_to_the_client_with_state(
    world: World, overrides: dict[str, str | None], error: str
) -> None:
    _, challenge = pkce_pair()
    query = _query(await _authorize(world, challenge, **overrides))
    assert query["error"] == error
    assert query["state"] == "xyz-123"
    assert "code" not in query


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "nxc_unknown"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/steal"},
        {"redirect_uri": None},
    ],
)
async def test_a_bad_client_or_redirect_uri_is_never_redirected_to(
    world: World, overrides: dict[str, str | None]
) -> None:
    _, challenge = pkce_pair()
    response = await _authorize(world, challenge, **overrides)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] in {"invalid_client", "invalid_request"}


async def test_authorizing_takes_a_signed_in_user_of_the_clients_tenant(world: World) -> None:
    _, challenge = pkce_pair()
    anonymous = await world.client.get(AUTHORIZE, params=_authorize_params(world, challenge))
    assert anonymous.status_code == 401
    other_tenant = await create_tenant(world.database)
    stranger = await create_user(
        world.database, tenant=other_tenant, surface="tasks", role="integrador", permissions=["tasks.read"]
    )
    stranger_token = await issue_token(world.database, world.settings, stranger, surface="tasks")
    response = await world.client.get(
        AUTHORIZE, params=_authorize_params(world, challenge), headers=bearer(stranger_token)
    )
    assert response.status_code == 400  # the client does not exist in the stranger's tenant
    assert response.json()["error"] == "invalid_client"


async def test_the_redirect_keeps_the_query_the_client_registered(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant)
    callback = "https://app.example/cb?tenant=42"
    issued = await make_client(
        database, tenant, surface="tasks", scopes=["tasks:read"], redirect_uris=[callback]
    )
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": issued.client.client_id,
        "redirect_uri": callback,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with probe_client(make_app) as client:
        response = await client.get(AUTHORIZE, params=params, headers=bearer(token))
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["tenant"] == ["42"] and "code" in query and "state" not in query


async def test_client_credentials_also_work_on_tasks(world: World) -> None:
    response = await world.client.post(
        TOKEN,
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
            "scope": "tasks:read",
        },
    )
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    who = await world.client.get(PROBE, headers=bearer(response.json()["access_token"]))
    assert who.json()["permissions"] == ["tasks:read"]


async def test_registration_as_the_spec_shows(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant, MANAGE_OAUTH_CLIENTS)
    payload = {"client_name": "Tu Sistema", "redirect_uri": CALLBACK, "scopes": ["tasks:read", "tasks:write"]}
    response = await client.post(REGISTER, json=payload, headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_name"] == "Tu Sistema"
    assert body["redirect_uri"] == CALLBACK
    assert body["scopes"] == ["tasks:read", "tasks:write"]
    assert body["grant_types"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert body["client_id"].startswith("nxc_") and body["client_secret"].startswith("nx_ocs_")
    granted = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert granted.status_code == 200, granted.text


async def test_registration_takes_the_permission(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant)
    payload = {"client_name": "x", "redirect_uri": CALLBACK, "scopes": ["tasks:read"]}
    assert (await client.post(REGISTER, json=payload)).status_code == 401
    assert (await client.post(REGISTER, json=payload, headers=bearer(token))).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"client_name": "x", "redirect_uri": "http://tu-sistema.example/cb", "scopes": ["tasks:read"]},
            "redirect_uri",
        ),
        (
            {"client_name": "x", "redirect_uri": "https://a.example/cb#frag", "scopes": ["tasks:read"]},
            "redirect_uri",
        ),
        ({"client_name": "x", "redirect_uri": "/relative", "scopes": ["tasks:read"]}, "redirect_uri"),
        ({"client_name": "x", "redirect_uri": CALLBACK, "scopes": ["tasks:delete"]}, "scopes"),
        (
            {"client_name": "x", "redirect_uri": CALLBACK, "scopes": ["tasks:read"], "secret": "mine"},
            "secret",
        ),
    ],
)
async def test_bad_registrations_are_422(
    client: httpx.AsyncClient, database: Database, settings: Settings, payload: dict[str, object], field: str
) -> None:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant, MANAGE_OAUTH_CLIENTS)
    response = await client.post(REGISTER, json=payload, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field


async def test_loopback_http_redirects_are_allowed_for_native_apps(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _user_token(database, settings, tenant, MANAGE_OAUTH_CLIENTS)
    payload = {"client_name": "CLI", "redirect_uri": "http://127.0.0.1:8765/cb", "scopes": ["tasks:read"]}
    assert (await client.post(REGISTER, json=payload, headers=bearer(token))).status_code == 201


async def test_revoking_a_users_grants_ends_their_clients_tokens(world: World) -> None:
    verifier, challenge = pkce_pair()
    granted = (await _exchange(world, await _code(world, challenge), verifier)).json()
    who = (await world.client.get(PROBE, headers=bearer(granted["access_token"]))).json()
    async with world.database.transaction(tenant_id=world.tenant.id) as session:
        grant = await session.get(OAuthGrant, who["session_id"])
        assert grant is not None
        assert await revoke_grants_of_user(session, user_id=grant.user_id) == 1
    assert (await world.client.get(PROBE, headers=bearer(granted["access_token"]))).status_code == 401
    assert (await _refresh(world, granted["refresh_token"])).json()["error"] == "invalid_grant"
