"""Sign-in with Google or Microsoft: the OpenID Connect authorization-code exchange.

The browser gets the code from the provider (the authorization URL is built here); the server trades
it at the provider's token endpoint, authenticating with its client secret, and reads who signed in
from the userinfo endpoint, merged with the ID token's claims. The ID token comes straight from the
provider's token endpoint over TLS, so its claims are trusted without checking its signature (OpenID
Connect Core §3.1.3.7); its audience and subject are still checked against ours and userinfo's.

An email counts as verified only when the provider says so (`email_verified`, or Microsoft's
`xms_edov` optional claim): Microsoft's plain `email` claim can be set by any Entra tenant's admin,
and linking accounts on it would let one tenant sign in as another's users ("nOAuth").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from pydantic import SecretStr

from nexo.core.errors import BadRequest, Unauthorized
from nexo.core.settings import Settings

PROVIDERS = ("google", "microsoft")
SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str


@dataclass(frozen=True, slots=True)
class Profile:
    """Who the provider says signed in."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    given_name: str
    family_name: str


def provider(settings: Settings, name: str) -> Provider:
    """The configured provider `name`; refused when it is unknown or has no client credentials."""
    if name not in PROVIDERS:
        raise BadRequest(f"Unknown sign-in provider {name!r}.", code="OAUTH_PROVIDER_UNKNOWN")
    client_id = getattr(settings, f"oauth_{name}_client_id")
    secret = getattr(settings, f"oauth_{name}_client_secret")
    if not client_id or secret is None:
        raise BadRequest(
            f"Sign-in with {name} is not configured on this server.", code="OAUTH_PROVIDER_DISABLED"
        )
    return Provider(
        name=name,
        client_id=client_id,
        client_secret=secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret),
        authorize_url=getattr(settings, f"oauth_{name}_authorize_url"),
        token_url=getattr(settings, f"oauth_{name}_token_url"),
        userinfo_url=getattr(settings, f"oauth_{name}_userinfo_url"),
    )


def authorization_url(config: Provider, *, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
    """The URL to send the browser to, and the `state` the client must check on the way back."""
    state = state or secrets.token_urlsafe(24)
    query = {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "state": state,
    }
    return f"{config.authorize_url}?{urlencode(query)}", state


async def exchange_code(
    config: Provider, *, code: str, redirect_uri: str, http: httpx.AsyncClient | None = None
) -> Profile:
    """Trade an authorization code for the signed-in person's profile; 401 when the provider refuses."""
    own = http is None
    client = http or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    try:
        tokens = await _token_request(client, config, code=code, redirect_uri=redirect_uri)
        userinfo = await _userinfo(client, config, str(tokens["access_token"]))
    finally:
        if own:
            await client.aclose()
    id_claims = _id_token_claims(tokens.get("id_token"), config)
    return _profile(config.name, {**id_claims, **userinfo}, id_claims)


def _refused(reason: str) -> Unauthorized:
    return Unauthorized(f"The sign-in provider refused the code: {reason}.", code="OAUTH_EXCHANGE_FAILED")


async def _token_request(
    client: httpx.AsyncClient, config: Provider, *, code: str, redirect_uri: str
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
    }
    try:
        response = await client.post(config.token_url, data=form, headers={"Accept": "application/json"})
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise _refused("its token endpoint could not be reached") from error
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        error_code = body.get("error") if isinstance(body, dict) else None
        raise _refused(str(error_code or f"HTTP {response.status_code}"))
    return body


async def _userinfo(client: httpx.AsyncClient, config: Provider, access_token: str) -> dict[str, Any]:
    try:
        response = await client.get(config.userinfo_url, headers={"Authorization": f"Bearer {access_token}"})
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise _refused("its userinfo endpoint could not be reached") from error
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("sub"):
        raise _refused(f"userinfo answered HTTP {response.status_code}")
    return body


def _id_token_claims(id_token: object, config: Provider) -> dict[str, Any]:
    if not isinstance(id_token, str):
        return {}
    try:
        claims: dict[str, Any] = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise _refused("its ID token is malformed") from error
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if config.client_id not in audiences:
        raise _refused("its ID token was issued to another client")
    return claims


def _profile(name: str, claims: dict[str, Any], id_claims: dict[str, Any]) -> Profile:
    subject = str(claims["sub"])
    if id_claims and str(id_claims.get("sub")) != subject:
        raise _refused("the ID token and userinfo name different people")
    email = claims.get("email")
    verified = claims.get("email_verified") in (True, "true") or claims.get("xms_edov") in (
        True,
        "true",
        "1",
        1,
    )
    return Profile(
        provider=name,
        subject=subject,
        email=str(email).strip().lower() if email else None,
        email_verified=bool(email) and verified,
        given_name=str(claims.get("given_name") or ""),
        family_name=str(claims.get("family_name") or ""),
    )
