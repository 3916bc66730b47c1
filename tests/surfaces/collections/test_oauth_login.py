"""collections §2.3: sign-in with Google and Microsoft, against a local server that speaks OpenID
Connect's token and userinfo endpoints over real HTTP."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.support import http_client

from nexo.app import NexoApplication

BASE = "/collections/v1"
CLIENT_ID = "nexo-test-client"
CLIENT_SECRET = "local-oidc-secret-" + "z" * 24
REDIRECT = "https://app.example/auth/callback"
PASSWORD = "SecurePass123!"


@dataclass
class FakeOIDC:
    """The provider side: hands out codes for people, then honours them once."""

    url: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def code_for(self, redirect_uri: str = REDIRECT, **person: Any) -> str:
        code = secrets.token_urlsafe(12)
        self.codes[code] = {"redirect_uri": redirect_uri, "person": person}
        return code

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        grant = self.codes.pop(str(form.get("code")), None)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        person = grant["person"]
        access = secrets.token_urlsafe(16)
        self.tokens[access] = person
        now = int(time.time())
        id_claims = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **person}
        id_token = jwt.encode(id_claims, CLIENT_SECRET, algorithm="HS256")
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}
        )

    async def userinfo(self, request: Request) -> JSONResponse:
        person = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if person is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        # Like Microsoft's userinfo: profile claims only, no email_verified / xms_edov.
        return JSONResponse({key: value for key, value in person.items() if key not in {"xms_edov"}})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def oidc() -> Iterator[FakeOIDC]:
    fake = FakeOIDC()
    app = Starlette(routes=[Route("/token", fake.token, methods=["POST"]), Route("/userinfo", fake.userinfo)])
    port = _free_port()
    fake.url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield fake
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def client(
    make_app: Callable[..., NexoApplication], oidc: FakeOIDC
) -> AsyncIterator[httpx.AsyncClient]:
    settings: dict[str, Any] = {}
    for provider in ("google", "microsoft"):
        settings |= {
            f"oauth_{provider}_client_id": CLIENT_ID,
            f"oauth_{provider}_client_secret": SecretStr(CLIENT_SECRET),
            f"oauth_{provider}_authorize_url": f"{oidc.url}/authorize",
            f"oauth_{provider}_token_url": f"{oidc.url}/token",
            f"oauth_{provider}_userinfo_url": f"{oidc.url}/userinfo",
        }
    async with http_client(make_app(**settings)) as http:
        yield http


async def _register(
    client: httpx.AsyncClient, email: str, organization: str = "Mi Empresa"
) -> dict[str, Any]:
    response = await client.post(
        f"{BASE}/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "nombre": "Juan García",
            "organizacion": {"nombre": organization},
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _oauth(client: httpx.AsyncClient, provider: str, code: str, **extra: Any) -> httpx.Response:
    return await client.post(
        f"{BASE}/auth/oauth/{provider}", json={"code": code, "redirectUri": REDIRECT, **extra}
    )


async def test_google_signs_in_an_account_with_the_verified_email(
    client: httpx.AsyncClient, oidc: FakeOIDC
) -> None:
    registered = await _register(client, "juan@empresa.com")
    code = oidc.code_for(sub="google-123", email="Juan@Empresa.com", email_verified=True, given_name="Juan")
    response = await _oauth(client, "google", code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"user", "tokens"}
    assert body["user"]["id"] == registered["user"]["id"]
    assert body["tokens"]["expiresIn"] == 900
    me = await client.get(
        f"{BASE}/auth/me", headers={"Authorization": f"Bearer {body['tokens']['accessToken']}"}
    )
    assert me.status_code == 200
    # Linked now: the same Google account signs in by its subject even after its email changed.
    again = oidc.code_for(sub="google-123", email="juan@gmail.example", email_verified=True)
    assert (await _oauth(client, "google", again)).json()["user"]["id"] == registered["user"]["id"]
    # A code works once.
    assert (await _oauth(client, "google", code)).status_code == 401


async def test_an_unverified_email_links_nothing(client: httpx.AsyncClient, oidc: FakeOIDC) -> None:
    await _register(client, "ana@empresa.com")
    unverified = oidc.code_for(sub="ms-1", email="ana@empresa.com")
    refused = await _oauth(client, "microsoft", unverified)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "OAUTH_NO_ACCOUNT"
    verified_domain = oidc.code_for(sub="ms-1", email="ana@empresa.com", xms_edov=True)
    assert (await _oauth(client, "microsoft", verified_domain)).status_code == 200


async def test_unknown_people_and_bad_codes(client: httpx.AsyncClient, oidc: FakeOIDC) -> None:
    stranger = oidc.code_for(sub="google-999", email="nadie@empresa.com", email_verified=True)
    assert (await _oauth(client, "google", stranger)).json()["error"]["code"] == "OAUTH_NO_ACCOUNT"
    forged = await _oauth(client, "google", "not-a-code")
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "OAUTH_EXCHANGE_FAILED"
    elsewhere = oidc.code_for(
        redirect_uri="https://evil.example/cb", sub="g", email="x@y.z", email_verified=True
    )
    assert (await _oauth(client, "google", elsewhere)).json()["error"]["code"] == "OAUTH_EXCHANGE_FAILED"
    assert (
        await client.post(f"{BASE}/auth/oauth/github", json={"code": "x", "redirectUri": REDIRECT})
    ).status_code == 400


async def test_one_identity_in_two_organizations_needs_the_tenant(
    client: httpx.AsyncClient, oidc: FakeOIDC
) -> None:
    await _register(client, "luis@empresa.com", "Primera")
    second = await _register(client, "luis@empresa.com", "Segunda")
    ambiguous = await _oauth(
        client, "google", oidc.code_for(sub="g-7", email="luis@empresa.com", email_verified=True)
    )
    assert ambiguous.json()["error"]["code"] == "TENANT_REQUIRED"
    chosen = await _oauth(
        client,
        "google",
        oidc.code_for(sub="g-7", email="luis@empresa.com", email_verified=True),
        tenant=second["organization"]["id"],
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["user"]["organizationId"] == second["organization"]["id"]


async def test_authorization_url(client: httpx.AsyncClient, oidc: FakeOIDC) -> None:
    response = await client.get(f"{BASE}/auth/oauth/google/authorize", params={"redirectUri": REDIRECT})
    assert response.status_code == 200, response.text
    body = response.json()
    url = urlsplit(body["authorizationUrl"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{oidc.url}/authorize"
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT]
    assert query["response_type"] == ["code"]
    assert query["state"] == [body["state"]]
    assert "openid" in query["scope"][0].split()


async def test_providers_without_credentials_are_off(make_app: Callable[..., NexoApplication]) -> None:
    async with http_client(make_app()) as plain:
        response = await plain.post(f"{BASE}/auth/oauth/google", json={"code": "x", "redirectUri": REDIRECT})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "OAUTH_PROVIDER_DISABLED"
