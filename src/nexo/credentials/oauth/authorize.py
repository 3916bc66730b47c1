"""The authorization endpoint (RFC 6749 §4.1.1–4.1.2): a signed-in user approves a client, and the
client's redirect URI receives a single-use code bound to that URI and to a PKCE S256 challenge.

Errors about the client or its redirect URI are shown to the caller and never redirected (§4.1.2.1:
redirecting there would make the server an open redirector); every other error is sent to the
client's redirect URI with `error` and `state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.security.opaque import hash_secret, new_secret
from nexo.credentials.models import OAuthAuthorizationCode, OAuthClient
from nexo.credentials.oauth.clients import AUTHORIZATION_CODE
from nexo.credentials.oauth.errors import (
    INVALID_CLIENT,
    INVALID_REQUEST,
    UNAUTHORIZED_CLIENT,
    UNSUPPORTED_RESPONSE_TYPE,
    OAuthError,
)
from nexo.credentials.oauth.grants import granted_scopes
from nexo.credentials.oauth.pkce import S256, is_valid_challenge

CODE_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    response_type: str | None
    client_id: str | None
    redirect_uri: str | None
    scope: str | None
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class RedirectableError(Exception):
    """An authorization error to deliver at the client's redirect URI."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def with_params(uri: str, params: dict[str, str | None]) -> str:
    """`uri` with `params` added to its query, keeping the query it already has (§3.1.2)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((key, value) for key, value in params.items() if value is not None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


async def authorize(
    session: AsyncSession, *, user: Principal, request: AuthorizationRequest, surface: str
) -> str:
    """Issue a code and return the redirect location. `session` must be writable and scoped to the
    user's tenant, so only that tenant's clients can be found."""
    client = await _client_and_redirect(session, request, surface)
    assert request.redirect_uri is not None

    def refuse(error: str, description: str) -> RedirectableError:
        params = {"error": error, "error_description": description, "state": request.state}
        return RedirectableError(with_params(request.redirect_uri or "", params))

    if request.response_type != "code":
        raise refuse(UNSUPPORTED_RESPONSE_TYPE, "response_type must be 'code'.")
    if AUTHORIZATION_CODE not in client.grant_types:
        raise refuse(UNAUTHORIZED_CLIENT, "This client may not use the authorization-code flow.")
    if request.code_challenge_method != S256 or not is_valid_challenge(request.code_challenge or ""):
        raise refuse(
            INVALID_REQUEST, "PKCE is required: send code_challenge with code_challenge_method=S256."
        )
    try:
        scopes = granted_scopes(client.allowed_scopes, request.scope)
    except OAuthError as error:
        raise refuse(error.error, error.description) from error
    code = await _issue_code(session, client, user, request, scopes)
    return with_params(request.redirect_uri, {"code": code, "state": request.state})


async def _client_and_redirect(
    session: AsyncSession, request: AuthorizationRequest, surface: str
) -> OAuthClient:
    if not request.client_id:
        raise OAuthError(INVALID_REQUEST, "client_id is required.")
    client = await session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == request.client_id, OAuthClient.surface == surface)
    )
    if client is None or client.revoked_at is not None:
        raise OAuthError(INVALID_CLIENT, "Unknown or revoked client_id.")
    if not request.redirect_uri:
        raise OAuthError(INVALID_REQUEST, "redirect_uri is required.")
    if request.redirect_uri not in client.redirect_uris:
        raise OAuthError(INVALID_REQUEST, "redirect_uri is not registered for this client.")
    return client


async def _issue_code(
    session: AsyncSession,
    client: OAuthClient,
    user: Principal,
    request: AuthorizationRequest,
    scopes: list[str],
) -> str:
    code = new_secret("nx_ac")
    assert request.redirect_uri is not None and request.code_challenge is not None
    session.add(
        OAuthAuthorizationCode(
            code_hash=hash_secret(code),
            client_pk=client.id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            scopes=scopes,
            code_challenge=request.code_challenge,
            expires_at=utcnow() + CODE_TTL,
        )
    )
    kind, actor_id = user.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="oauth.authorization_approved",
        entity_type="oauth_client",
        entity_id=client.client_id,
        changes={"scope": {"from": None, "to": scopes}},
    )
    await session.flush()
    return code
