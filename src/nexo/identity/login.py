"""Signing in with an email and a password, and the second step for users with 2FA.

Every refusal of a password says the same thing ("invalid email or password") whether the email is
unknown, the password wrong or the account passwordless, and unknown emails still cost one Argon2
verification (`dummy_verify`), so neither the answer nor its timing tells which emails have accounts.

Emails are unique within a tenant, not across tenants: the same person may belong to several. A
sign-in checks the password against each account with that email on the surface (at most a few);
when more than one matches, the caller must name the tenant (`tenant` = its slug or public id).

Failures are audited in their own transaction (the request rolls back), after the request's own
transaction is ended so the audit never waits on a lock this request holds.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from nexo.core.audit import record_audit, record_audit_detached
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import BadRequest, Forbidden, Unauthorized
from nexo.core.security.opaque import hash_secret, new_secret
from nexo.core.security.passwords import dummy_verify
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.models import ExternalIdentity, LoginChallenge, Role, User
from nexo.identity.oidc import Profile
from nexo.identity.sessions import IssuedTokens, start_session
from nexo.identity.status import sign_in_refusal
from nexo.identity.twofactor import check_second_factor
from nexo.identity.users import normalize_email, verify_password_async
from nexo.tenants.models import Tenant

INVALID_CREDENTIALS = "Invalid email or password."
INVALID_CHALLENGE = "The sign-in challenge is invalid or has expired; sign in again."
MAX_ACCOUNTS_PER_EMAIL = 5
MAX_CHALLENGE_ATTEMPTS = 5
CHALLENGE_PREFIX = "nx_lc"


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    tokens: IssuedTokens


@dataclass(frozen=True, slots=True)
class ChallengeIssued:
    """The password was right but the account has 2FA: finish with the challenge and a code."""

    user: User
    challenge_token: str
    expires_in: int


LoginOutcome = SignedIn | ChallengeIssued


def _families(surface: str) -> tuple[str, ...]:
    return ("platform",) if surface == "platform" else (surface, "any")


def _accounts_query(email: str, surface: str, tenant: str | None) -> Select[tuple[User]]:
    query = (
        select(User)
        .join(User.role)
        .options(contains_eager(User.role))
        .where(User.email == email, User.deleted_at.is_(None), User.password_hash.is_not(None))
        .where(Role.surface.in_(_families(surface)))
        .order_by(User.id)
        .limit(MAX_ACCOUNTS_PER_EMAIL)
    )
    if tenant:
        query = query.join(Tenant, Tenant.id == User.tenant_id).where(_tenant_named(tenant))
    return query


def _tenant_named(tenant: str) -> ColumnElement[bool]:
    try:
        return Tenant.public_id == uuid.UUID(tenant)
    except ValueError:
        return Tenant.slug == tenant.strip().lower()


async def login_with_password(
    session: AsyncSession,
    *,
    database: Database,
    settings: Settings,
    email: str,
    password: str,
    surface: str,
    tenant: str | None = None,
) -> LoginOutcome:
    """Check the password; open a session, or issue a 2FA challenge when the account has 2FA."""
    address = normalize_email(email)
    accounts = await _read_accounts(database, address, surface, tenant)
    matched = await _matching_accounts(accounts, password)
    if not matched:
        only = accounts[0] if len(accounts) == 1 else None
        await _audit_failure(session, database, user=only, email=address, action="auth.login_failed")
        raise Unauthorized(INVALID_CREDENTIALS, code="INVALID_CREDENTIALS")
    if len(matched) > 1:
        raise BadRequest(
            "This email belongs to several organizations; say which one in the `tenant` field.",
            code="TENANT_REQUIRED",
        )
    found, new_hash = matched[0]
    if found.tenant_id is None:
        allow_all_tenants(session, reason="platform accounts belong to no tenant")
    else:
        scope_to_tenant(session, found.tenant_id)
    user = await session.scalar(select(User).options(joinedload(User.role)).where(User.id == found.id))
    if user is None:  # deleted between the check and now
        raise Unauthorized(INVALID_CREDENTIALS, code="INVALID_CREDENTIALS")
    refusal = await sign_in_refusal(session, user=user, surface=surface)
    if refusal is not None:
        await _audit_failure(session, database, user=user, email=address, action="auth.login_refused")
        raise Forbidden(refusal, code="ACCOUNT_DISABLED")
    if new_hash is not None:
        user.password_hash = new_hash  # stronger parameters than when it was stored
    if user.two_factor_enabled:
        return await _issue_challenge(session, settings, user=user, surface=surface)
    return SignedIn(
        user=user, tokens=await start_session(session, settings=settings, user=user, surface=surface)
    )


async def _read_accounts(database: Database, email: str, surface: str, tenant: str | None) -> list[User]:
    """The candidate accounts, read outside the request's transaction: the Argon2 checks that follow
    take tens of milliseconds each, and on SQLite the request's write transaction would hold the
    database's only write lock all that time."""
    async with database.session(write=False) as reader:
        allow_all_tenants(reader, reason="sign-in looks the email up before the tenant is known")
        return list(await reader.scalars(_accounts_query(email, surface, tenant)))


async def _matching_accounts(accounts: list[User], password: str) -> list[tuple[User, str | None]]:
    if not accounts:
        await asyncio.to_thread(dummy_verify)
        return []
    matched: list[tuple[User, str | None]] = []
    for user in accounts:
        assert user.password_hash is not None
        ok, new_hash = await verify_password_async(password, user.password_hash)
        if ok:
            matched.append((user, new_hash))
    return matched


async def _audit_failure(
    session: AsyncSession, database: Database, *, user: User | None, email: str, action: str
) -> None:
    tenant_id, user_id = (user.tenant_id, user.id) if user is not None else (None, None)
    await session.rollback()
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="user" if user_id is not None else "anonymous",
        actor_id=str(user_id) if user_id is not None else None,
        action=action,
        entity_type="User",
        entity_id=user_id,
        changes={"email": {"from": None, "to": email}},
    )


async def _issue_challenge(
    session: AsyncSession, settings: Settings, *, user: User, surface: str
) -> ChallengeIssued:
    token = new_secret(CHALLENGE_PREFIX)
    ttl = settings.login_challenge_ttl_seconds
    session.add(
        LoginChallenge(
            tenant_id=user.tenant_id,
            token_hash=hash_secret(token),
            user_id=user.id,
            surface=surface,
            expires_at=utcnow() + timedelta(seconds=ttl),
        )
    )
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action="auth.login_challenge_issued",
        entity_type="User",
        entity_id=user.id,
    )
    await session.flush()
    return ChallengeIssued(user=user, challenge_token=token, expires_in=ttl)


async def complete_two_factor_login(
    session: AsyncSession,
    *,
    database: Database,
    settings: Settings,
    challenge_token: str,
    code: str | None,
    backup_code: str | None,
    surface: str,
) -> SignedIn:
    """The second step: a live challenge plus a TOTP code or a backup code opens the session.

    A challenge takes a few wrong codes, then dies; the user signs in again with the password."""
    allow_all_tenants(session, reason="2FA challenges are found by digest before the tenant is known")
    challenge = await session.scalar(
        select(LoginChallenge).where(LoginChallenge.token_hash == hash_secret(challenge_token))
    )
    if challenge is None or not _challenge_usable(challenge, surface):
        raise Unauthorized(INVALID_CHALLENGE, code="INVALID_CHALLENGE")
    if challenge.tenant_id is not None:
        scope_to_tenant(session, challenge.tenant_id)
    user = await session.scalar(
        select(User).options(joinedload(User.role)).where(User.id == challenge.user_id)
    )
    if user is None or await sign_in_refusal(session, user=user, surface=surface) is not None:
        raise Unauthorized(INVALID_CHALLENGE, code="INVALID_CHALLENGE")
    method = await check_second_factor(
        session, settings=settings, user=user, code=code, backup_code=backup_code
    )
    if method is None:
        await _count_wrong_code(session, database, challenge=challenge)
        raise Unauthorized("The code is not valid.", code="INVALID_2FA_CODE")
    if not await _consume(session, challenge.id):
        raise Unauthorized(INVALID_CHALLENGE, code="INVALID_CHALLENGE")
    tokens = await start_session(session, settings=settings, user=user, surface=surface, method=method)
    return SignedIn(user=user, tokens=tokens)


def _challenge_usable(challenge: LoginChallenge, surface: str) -> bool:
    return (
        challenge.consumed_at is None
        and challenge.expires_at > utcnow()
        and challenge.surface == surface
        and challenge.failed_attempts < MAX_CHALLENGE_ATTEMPTS
    )


async def _consume(session: AsyncSession, challenge_id: int) -> bool:
    """Single use even under concurrent requests: only one UPDATE finds it unconsumed."""
    result = await session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.id == challenge_id, LoginChallenge.consumed_at.is_(None))
        .values(consumed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def _count_wrong_code(session: AsyncSession, database: Database, *, challenge: LoginChallenge) -> None:
    challenge_id, tenant_id, user_id = challenge.id, challenge.tenant_id, challenge.user_id
    await session.rollback()
    async with database.transaction() as detached:
        allow_all_tenants(detached, reason="counting a wrong 2FA code on a challenge found by digest")
        await detached.execute(
            update(LoginChallenge)
            .where(LoginChallenge.id == challenge_id)
            .values(failed_attempts=LoginChallenge.failed_attempts + 1)
            .execution_options(synchronize_session=False)
        )
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="user",
        actor_id=str(user_id),
        action="auth.2fa_failed",
        entity_type="User",
        entity_id=user_id,
    )


async def login_with_provider(
    session: AsyncSession,
    *,
    database: Database,
    settings: Settings,
    profile: Profile,
    surface: str,
    tenant: str | None = None,
) -> LoginOutcome:
    """Sign in the account a Google or Microsoft identity belongs to.

    An identity linked before finds its account by `(provider, subject)`. Otherwise an active account
    with the same email is linked, but only when the provider verified that email. Nobody is created
    here: a person without an account registers or is invited first."""
    allow_all_tenants(session, reason="sign-in looks the identity up before the tenant is known")
    accounts = await _provider_accounts(session, profile, surface, tenant)
    if not accounts:
        await _audit_failure(
            session, database, user=None, email=profile.email or "", action="auth.oauth_failed"
        )
        raise Unauthorized(
            "There is no account here for this sign-in; register or ask for an invitation.",
            code="OAUTH_NO_ACCOUNT",
        )
    if len(accounts) > 1:
        raise BadRequest(
            "This identity belongs to several organizations; say which one in the `tenant` field.",
            code="TENANT_REQUIRED",
        )
    user, identity = accounts[0]
    if user.tenant_id is not None:
        scope_to_tenant(session, user.tenant_id)
    refusal = await sign_in_refusal(session, user=user, surface=surface)
    if refusal is not None:
        await _audit_failure(session, database, user=user, email=user.email, action="auth.login_refused")
        raise Forbidden(refusal, code="ACCOUNT_DISABLED")
    if identity is None:
        identity = ExternalIdentity(
            tenant_id=user.tenant_id,
            user_id=user.id,
            provider=profile.provider,
            subject=profile.subject,
            email=profile.email or user.email,
        )
        session.add(identity)
    identity.last_used_at = utcnow()
    if user.two_factor_enabled:
        return await _issue_challenge(session, settings, user=user, surface=surface)
    method = f"oauth_{profile.provider}"
    return SignedIn(
        user=user,
        tokens=await start_session(session, settings=settings, user=user, surface=surface, method=method),
    )


async def _provider_accounts(
    session: AsyncSession, profile: Profile, surface: str, tenant: str | None
) -> list[tuple[User, ExternalIdentity | None]]:
    base = (
        select(User)
        .join(User.role)
        .options(contains_eager(User.role))
        .where(User.deleted_at.is_(None), User.status != "invited", Role.surface.in_(_families(surface)))
        .order_by(User.id)
        .limit(MAX_ACCOUNTS_PER_EMAIL)
    )
    if tenant:
        base = base.join(Tenant, Tenant.id == User.tenant_id).where(_tenant_named(tenant))
    linked = await session.execute(
        base.add_columns(ExternalIdentity)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(ExternalIdentity.provider == profile.provider, ExternalIdentity.subject == profile.subject)
    )
    found: list[tuple[User, ExternalIdentity | None]] = [(user, identity) for user, identity in linked.all()]
    if found or not (profile.email and profile.email_verified):
        return found
    return [(user, None) for user in await session.scalars(base.where(User.email == profile.email))]
