"""Sign-in sessions and their tokens.

A sign-in creates a `LoginSession` (the token family) and hands out a short-lived JWT access token
(`sid` = the session id) plus an opaque refresh token stored only as its SHA-256. Every refresh
rotates: the presented token is marked used and a child is issued. A used token presented again means
someone holds a copy, so the whole family is revoked — the thief's and the owner's tokens alike —
and both must sign in again. Logout and password changes revoke families the same way; the access
token resolver checks the family on every request, so revocation takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from nexo.core.audit import record_audit, record_audit_detached
from nexo.core.context import current_request
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import Unauthorized
from nexo.core.security.opaque import hash_secret, new_secret
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.keys import access_codec, access_token_ttl
from nexo.identity.models import LoginSession, RefreshToken, User
from nexo.identity.status import sign_in_refusal

REFRESH_PREFIX = "nx_rt"
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    session_id: str


def issue_access_token(settings: Settings, *, user: User, surface: str, session_id: str) -> tuple[str, int]:
    ttl = access_token_ttl(settings, surface)
    token = access_codec(settings).encode(
        subject=str(user.id),
        tenant_id=user.tenant_id,
        audience=surface,
        ttl_seconds=ttl,
        session_id=session_id,
    )
    return token, ttl


def _new_refresh_token(
    session: AsyncSession, settings: Settings, *, login: LoginSession, parent_id: int | None
) -> str:
    secret = new_secret(REFRESH_PREFIX)
    session.add(
        RefreshToken(
            tenant_id=login.tenant_id,
            token_hash=hash_secret(secret),
            family_id=login.id,
            user_id=login.user_id,
            surface=login.surface,
            parent_id=parent_id,
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    return secret


async def start_session(
    session: AsyncSession, *, settings: Settings, user: User, surface: str, method: str = "password"
) -> IssuedTokens:
    """Open a sign-in for `user` on `surface` and return its first tokens. Audited as a login."""
    info = current_request.get()
    login = LoginSession(
        tenant_id=user.tenant_id,
        user_id=user.id,
        surface=surface,
        method=method,
        ip=info.ip if info else None,
        user_agent=(info.user_agent or "")[:512] or None if info else None,
    )
    session.add(login)
    await session.flush()
    refresh = _new_refresh_token(session, settings, login=login, parent_id=None)
    access, ttl = issue_access_token(settings, user=user, surface=surface, session_id=login.id)
    user.last_login_at = utcnow()
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action="auth.login",
        entity_type="User",
        entity_id=user.id,
        changes={"surface": {"from": None, "to": surface}, "method": {"from": None, "to": method}},
    )
    await session.flush()
    return IssuedTokens(access_token=access, refresh_token=refresh, expires_in=ttl, session_id=login.id)


async def refresh_session(
    session: AsyncSession, *, database: Database, settings: Settings, refresh_token: str, surface: str
) -> tuple[User, IssuedTokens]:
    """Trade a refresh token for a new pair; a token used twice revokes its whole family."""
    allow_all_tenants(session, reason="refresh tokens are found by digest before the tenant is known")
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
    )
    if row is None or row.surface != surface:
        raise Unauthorized(INVALID_REFRESH, code="INVALID_TOKEN")
    login = await session.get(LoginSession, row.family_id)
    if login is None or login.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthorized(INVALID_REFRESH, code="INVALID_TOKEN")
    if row.rotated_at is not None or row.revoked_at is not None or not await _mark_rotated(session, row.id):
        await _revoke_family_detached(session, database, login=login, reason="refresh_reuse")
        raise Unauthorized(INVALID_REFRESH, code="INVALID_TOKEN")
    if login.tenant_id is not None:
        scope_to_tenant(session, login.tenant_id)
    user = await session.scalar(select(User).options(joinedload(User.role)).where(User.id == login.user_id))
    if user is None:
        raise Unauthorized(INVALID_REFRESH, code="INVALID_TOKEN")
    refusal = await sign_in_refusal(session, user=user, surface=surface)
    if refusal is not None:
        raise Unauthorized(refusal, code="ACCOUNT_DISABLED")
    login.last_refreshed_at = utcnow()
    new_refresh = _new_refresh_token(session, settings, login=login, parent_id=row.id)
    access, ttl = issue_access_token(settings, user=user, surface=surface, session_id=login.id)
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action="auth.refresh",
        entity_type="LoginSession",
        entity_id=login.id,
    )
    await session.flush()
    return user, IssuedTokens(
        access_token=access, refresh_token=new_refresh, expires_in=ttl, session_id=login.id
    )


async def _mark_rotated(session: AsyncSession, token_id: int) -> bool:
    """Claim the token for this refresh; False when a concurrent request claimed it first."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id, RefreshToken.rotated_at.is_(None), RefreshToken.revoked_at.is_(None)
        )
        .values(rotated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def _revoke_family_detached(
    session: AsyncSession, database: Database, *, login: LoginSession, reason: str
) -> None:
    """Revoke a family in a transaction of its own: the request answers 401 and rolls back, but the
    revocation must stay. The request's transaction is ended first, so on SQLite the single writer
    connection is free and on PostgreSQL no row lock of ours blocks the revocation."""
    family_id, tenant_id, user_id = login.id, login.tenant_id, login.user_id
    await session.rollback()
    async with database.transaction() as detached:
        allow_all_tenants(detached, reason="revoking a token family found by digest")
        await _revoke_families(detached, [family_id], reason=reason)
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="user",
        actor_id=str(user_id),
        action="auth.refresh_reuse_detected",
        entity_type="LoginSession",
        entity_id=family_id,
        changes={"revoked": {"from": False, "to": True}},
    )


async def _revoke_families(session: AsyncSession, family_ids: list[str], *, reason: str) -> None:
    if not family_ids:
        return
    now = utcnow()
    await session.execute(
        update(LoginSession)
        .where(LoginSession.id.in_(family_ids), LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def revoke_session(session: AsyncSession, *, session_id: str, reason: str) -> None:
    """End one sign-in (logout): its refresh tokens stop working and its access tokens are refused."""
    await _revoke_families(session, [session_id], reason=reason)


async def revoke_user_sessions(
    session: AsyncSession, *, user_id: int, reason: str, except_session_id: str | None = None
) -> int:
    """End every open sign-in of a user, except `except_session_id`; returns how many ended."""
    query = select(LoginSession.id).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    ids = [sid for sid in await session.scalars(query) if sid != except_session_id]
    await _revoke_families(session, ids, reason=reason)
    return len(ids)


async def logout(session: AsyncSession, *, user_id: int, session_id: str) -> None:
    """End the sign-in the caller's access token belongs to; audited."""
    await revoke_session(session, session_id=session_id, reason="logout")
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user_id),
        action="auth.logout",
        entity_type="LoginSession",
        entity_id=session_id,
    )
