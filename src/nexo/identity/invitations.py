"""Invitations: an admin names a person and a role; the person sets a password with a one-time token.

The invited person exists from the start as a user with status "invited" and no password, so they
show in user lists and their email is taken; the token (stored as its digest) expires, works once,
and a new invitation to the same person replaces the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import BadRequest, Conflict, ErrorDetail, NotFound, ValidationFailed
from nexo.core.security.opaque import hash_secret, new_secret
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.login import SignedIn
from nexo.identity.models import Invitation, User
from nexo.identity.roles import check_can_grant, find_role
from nexo.identity.sessions import start_session
from nexo.identity.users import create_user, normalize_email, set_password

INVITATION_PREFIX = "nx_inv"
INVALID_INVITATION = "The invitation is invalid, expired or already used."


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation: Invitation
    user: User
    token: str  # shown once, to be delivered to the invitee


async def invite_user(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    inviter: User,
    email: str,
    first_name: str,
    last_name: str,
    role_name: str,
    surface: str,
) -> IssuedInvitation:
    """Invite `email` into the session's tenant with the role `role_name` of `surface`'s family."""
    try:
        role = await find_role(session, surface=surface, name=role_name)
    except NotFound as missing:
        raise ValidationFailed(
            f"There is no role {role_name!r}.", details=[ErrorDetail("role", "unknown role")]
        ) from missing
    check_can_grant(principal, role)
    address = normalize_email(email)
    user = await session.scalar(select(User).where(User.email == address, User.deleted_at.is_(None)))
    if user is not None and user.status != "invited":
        raise Conflict(
            "This person already has an account.",
            code="EMAIL_TAKEN",
            details=[ErrorDetail("email", "already in use")],
        )
    if user is None:
        user = await create_user(
            session,
            email=address,
            role=role,
            password=None,
            first_name=first_name,
            last_name=last_name,
            status="invited",
        )
    else:
        user.role_id, user.first_name, user.last_name = role.id, first_name.strip(), last_name.strip()
        await _revoke_pending(session, user_id=user.id)
    token = new_secret(INVITATION_PREFIX)
    invitation = Invitation(
        token_hash=hash_secret(token),
        user_id=user.id,
        email=address,
        role_id=role.id,
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(seconds=settings.invitation_ttl_seconds),
    )
    session.add(invitation)
    record_audit(
        session,
        actor_type="user",
        actor_id=principal.id,
        action="user.invited",
        entity_type="User",
        entity_id=user.id,
        changes={"email": {"from": None, "to": address}, "role": {"from": None, "to": role.name}},
    )
    await session.flush()
    return IssuedInvitation(invitation=invitation, user=user, token=token)


async def _revoke_pending(session: AsyncSession, *, user_id: int) -> None:
    await session.execute(
        update(Invitation)
        .where(
            Invitation.user_id == user_id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def accept_invitation(
    session: AsyncSession, *, settings: Settings, token: str, password: str, surface: str
) -> SignedIn:
    """Set the invitee's password, activate the account and sign them in."""
    allow_all_tenants(session, reason="invitations are found by digest before the tenant is known")
    invitation = await session.scalar(select(Invitation).where(Invitation.token_hash == hash_secret(token)))
    if (
        invitation is None
        or invitation.accepted_at
        or invitation.revoked_at
        or invitation.expires_at <= utcnow()
    ):
        raise BadRequest(INVALID_INVITATION, code="INVALID_INVITATION")
    scope_to_tenant(session, invitation.tenant_id)
    user = await session.scalar(
        select(User).options(joinedload(User.role)).where(User.id == invitation.user_id)
    )
    if user is None or user.status != "invited":
        raise BadRequest(INVALID_INVITATION, code="INVALID_INVITATION")
    await set_password(user, password)
    if not await _claim(session, invitation.id):
        raise BadRequest(INVALID_INVITATION, code="INVALID_INVITATION")
    user.status = "active"
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action="user.invitation_accepted",
        entity_type="User",
        entity_id=user.id,
        changes={"status": {"from": "invited", "to": "active"}},
    )
    tokens = await start_session(session, settings=settings, user=user, surface=surface, method="invitation")
    return SignedIn(user=user, tokens=tokens)


async def _claim(session: AsyncSession, invitation_id: int) -> bool:
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
