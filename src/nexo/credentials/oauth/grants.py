"""The token endpoint's grants: client credentials (RFC 6749 §4.4), authorization code with PKCE
(§4.1, RFC 7636) and refresh with rotation (§6).

Codes and refresh tokens are single-use. A second use is treated as theft (RFC 6749 §4.1.2 for codes,
RFC 9700 §4.14.2 for rotated refresh tokens): the grant they belong to is revoked, which kills every
access and refresh token issued from it. "Used" is claimed with a conditional UPDATE, so two
concurrent redemptions cannot both succeed on either database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.db.types import utcnow
from nexo.core.security.opaque import hash_secret, new_secret
from nexo.core.settings import Settings
from nexo.credentials.models import OAuthAuthorizationCode, OAuthClient, OAuthGrant, OAuthRefreshToken
from nexo.credentials.oauth.clients import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, REFRESH_TOKEN
from nexo.credentials.oauth.errors import INVALID_GRANT, INVALID_SCOPE, UNAUTHORIZED_CLIENT, OAuthError
from nexo.credentials.oauth.pkce import verifier_matches
from nexo.credentials.scopes import format_scope, parse_scope
from nexo.credentials.single_use import claim
from nexo.credentials.tokens import CLIENT_TOKEN, TYPE_CLAIM, machine_codec

GRANT_ID_CLAIM = "gid"
SCOPE_CLAIM = "scope"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    scopes: list[str]
    refresh_token: str | None = None

    def body(self) -> dict[str, Any]:
        """RFC 6749 §5.1."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": format_scope(self.scopes),
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def granted_scopes(allowed: Iterable[str], requested: str | None) -> list[str]:
    """The requested scopes when all are allowed, every allowed scope when none is requested (§3.3)."""
    allowed_set = set(allowed)
    wanted = parse_scope(requested)
    if not wanted:
        return sorted(allowed_set)
    refused = sorted(set(wanted) - allowed_set)
    if refused:
        raise OAuthError(INVALID_SCOPE, f"Scope(s) not allowed for this client: {' '.join(refused)}.")
    return wanted


def _require_grant_type(client: OAuthClient, grant_type: str) -> None:
    if grant_type not in client.grant_types:
        raise OAuthError(UNAUTHORIZED_CLIENT, f"This client may not use the {grant_type} grant.")


def _access_token(settings: Settings, client: OAuthClient, scopes: list[str], grant_id: str | None) -> str:
    extra: dict[str, object] = {TYPE_CLAIM: CLIENT_TOKEN, SCOPE_CLAIM: format_scope(scopes)}
    if grant_id is not None:
        extra[GRANT_ID_CLAIM] = grant_id
    return machine_codec(settings).encode(
        subject=client.client_id,
        tenant_id=client.tenant_id,
        audience=client.surface,
        ttl_seconds=settings.oauth_access_token_ttl_seconds,
        session_id=grant_id or client.client_id,
        extra=extra,
    )


def _audit_grant(session: AsyncSession, client: OAuthClient, grant_type: str, scopes: list[str]) -> None:
    record_audit(
        session,
        actor_type="oauth_client",
        actor_id=client.client_id,
        action="oauth.token_granted",
        entity_type="oauth_client",
        entity_id=client.client_id,
        changes={"grant_type": {"from": None, "to": grant_type}, "scope": {"from": None, "to": scopes}},
    )


async def grant_client_credentials(
    session: AsyncSession, settings: Settings, *, client: OAuthClient, scope: str | None
) -> IssuedTokens:
    _require_grant_type(client, CLIENT_CREDENTIALS)
    scopes = granted_scopes(client.allowed_scopes, scope)
    _audit_grant(session, client, CLIENT_CREDENTIALS, scopes)
    token = _access_token(settings, client, scopes, None)
    return IssuedTokens(token, settings.oauth_access_token_ttl_seconds, scopes)


def _bad_code(description: str = "The authorization code is invalid, expired or used.") -> OAuthError:
    return OAuthError(INVALID_GRANT, description)


async def exchange_authorization_code(
    session: AsyncSession,
    settings: Settings,
    *,
    client: OAuthClient,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> IssuedTokens:
    _require_grant_type(client, AUTHORIZATION_CODE)
    code_hash = hash_secret(code)
    row = await session.scalar(
        select(OAuthAuthorizationCode).where(OAuthAuthorizationCode.code_hash == code_hash)
    )
    if row is None or row.client_pk != client.id:
        raise _bad_code()
    if row.used_at is not None:
        raise OAuthError(
            INVALID_GRANT, "The authorization code was already used.", revoke_grant_of_code=code_hash
        )
    if row.expires_at <= utcnow():
        raise _bad_code()
    if redirect_uri != row.redirect_uri:
        raise _bad_code("redirect_uri does not match the authorization request.")
    if not verifier_matches(code_verifier, row.code_challenge):
        raise _bad_code("PKCE verification failed: code_verifier does not match code_challenge.")
    grant = OAuthGrant(id=uuid.uuid4().hex, client_pk=client.id, user_id=row.user_id, scopes=list(row.scopes))
    claimed = await claim(
        session,
        update(OAuthAuthorizationCode)
        .where(OAuthAuthorizationCode.id == row.id, OAuthAuthorizationCode.used_at.is_(None))
        .values(used_at=utcnow(), grant_id=grant.id),
    )
    if not claimed:
        raise OAuthError(
            INVALID_GRANT, "The authorization code was already used.", revoke_grant_of_code=code_hash
        )
    session.add(grant)
    return await _issue_for_grant(session, settings, client, grant, list(row.scopes), AUTHORIZATION_CODE)


async def _issue_for_grant(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    grant: OAuthGrant,
    scopes: list[str],
    grant_type: str,
) -> IssuedTokens:
    refresh = new_secret("nx_ort")
    expires_at = utcnow() + timedelta(seconds=settings.oauth_refresh_token_ttl_seconds)
    session.add(OAuthRefreshToken(token_hash=hash_secret(refresh), grant_id=grant.id, expires_at=expires_at))
    await session.flush()
    _audit_grant(session, client, grant_type, scopes)
    token = _access_token(settings, client, scopes, grant.id)
    return IssuedTokens(token, settings.oauth_access_token_ttl_seconds, scopes, refresh)


async def refresh_tokens(
    session: AsyncSession, settings: Settings, *, client: OAuthClient, refresh_token: str, scope: str | None
) -> IssuedTokens:
    """Rotate: the presented token is spent and a new one issued. A spent token presented again means
    two parties hold it, so the whole grant is revoked."""
    _require_grant_type(client, REFRESH_TOKEN)
    row = (
        await session.execute(
            select(OAuthRefreshToken, OAuthGrant)
            .join(OAuthGrant, OAuthGrant.id == OAuthRefreshToken.grant_id)
            .where(OAuthRefreshToken.token_hash == hash_secret(refresh_token))
        )
    ).first()
    invalid = OAuthError(INVALID_GRANT, "The refresh token is invalid, expired or revoked.")
    if row is None or row[1].client_pk != client.id:
        raise invalid
    token, grant = row
    if grant.revoked_at is not None:
        raise invalid
    reused = OAuthError(INVALID_GRANT, "The refresh token was already used.", revoke_grant_id=grant.id)
    if token.used_at is not None:
        raise reused
    if token.expires_at <= utcnow():
        raise invalid
    scopes = granted_scopes(set(grant.scopes) & set(client.allowed_scopes), scope)
    claimed = await claim(
        session,
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.id == token.id, OAuthRefreshToken.used_at.is_(None))
        .values(used_at=utcnow()),
    )
    if not claimed:
        raise reused
    return await _issue_for_grant(session, settings, client, grant, scopes, REFRESH_TOKEN)


async def revoke_grants_of_user(session: AsyncSession, *, user_id: str) -> int:
    """Revoke every grant a user approved (in the session's tenant), for identity to call when the
    user is deactivated or deleted; returns how many were live."""
    result = await session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.user_id == user_id, OAuthGrant.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
