"""Users: creation, lookup, profile changes and passwords.

Passwords are hashed with Argon2id off the event loop (a hash costs tens of milliseconds of CPU that
would otherwise stall every other request of the process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, Forbidden, NotFound, ValidationFailed
from nexo.core.security.passwords import check_password_policy, hash_password, verify_password
from nexo.identity.models import Role, User
from nexo.identity.sessions import revoke_user_sessions

ACTIVE = "active"
USER_STATUSES = ("active", "inactive", "suspended", "invited", "deleted")
PROFILE_FIELDS = ("first_name", "last_name", "phone", "avatar_url")


def normalize_email(email: str) -> str:
    """Emails are compared and stored lowercased, so `Ana@X.com` and `ana@x.com` are one account."""
    return email.strip().lower()


def check_password(password: str, *, email: str, field: str = "password") -> None:
    """Raise a validation error listing what is wrong with a proposed password."""
    problems = check_password_policy(password, email=email)
    if problems:
        raise ValidationFailed(problems[0], details=[ErrorDetail(field, problem) for problem in problems])


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, password_hash: str) -> tuple[bool, str | None]:
    return await asyncio.to_thread(verify_password, password, password_hash)


async def set_password(user: User, password: str, *, field: str = "password") -> None:
    """Check the policy and store a new hash. Callers revoke sessions as their flow requires."""
    check_password(password, email=user.email, field=field)
    user.password_hash = await hash_password_async(password)
    user.password_changed_at = utcnow()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    role: Role,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    phone: str | None = None,
    status: str = ACTIVE,
) -> User:
    """A user in the session's tenant (or, for a platform role, above every tenant).

    `password=None` makes an account that cannot sign in with a password yet (an invitation or an
    OAuth sign-in completes it)."""
    address = normalize_email(email)
    await _check_email_free(session, address, platform=role.surface == "platform")
    user = User(
        tenant_id=role.tenant_id,
        email=address,
        role_id=role.id,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone,
        status=status,
    )
    user.role = role
    if password is not None:
        await set_password(user, password)
    session.add(user)
    await session.flush()
    return user


async def _check_email_free(session: AsyncSession, email: str, *, platform: bool) -> None:
    query = select(User.id).where(User.email == email, User.deleted_at.is_(None))
    if platform:
        query = query.join(Role, Role.id == User.role_id).where(Role.surface == "platform")
    if await session.scalar(query) is not None:
        raise Conflict(
            "A user with this email already exists.",
            code="EMAIL_TAKEN",
            details=[ErrorDetail("email", "already in use")],
        )


async def get_user(session: AsyncSession, user_id: int) -> User:
    """The session tenant's user, with its role loaded; deleted users do not exist."""
    user = await session.scalar(
        select(User).options(joinedload(User.role)).where(User.id == user_id, User.deleted_at.is_(None))
    )
    if user is None:
        raise NotFound("The user does not exist.")
    return user


async def update_profile(
    session: AsyncSession, *, user: User, changes: Mapping[str, Any], actor_id: str
) -> User:
    """Change the fields a person may change about themselves; audited with from → to."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        details = [ErrorDetail(name, "cannot be changed here") for name in sorted(unknown)]
        raise ValidationFailed(details=details)
    blank = [name for name in ("first_name", "last_name") if name in changes and changes[name] is None]
    if blank:
        raise ValidationFailed(details=[ErrorDetail(name, "cannot be null") for name in blank])
    before = {name: getattr(user, name) for name in changes}
    for name, value in changes.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    after = {name: getattr(user, name) for name in changes}
    record_audit(
        session,
        actor_type="user",
        actor_id=actor_id,
        action="user.profile_updated",
        entity_type="User",
        entity_id=user.id,
        changes=diff_changes(before, after),
    )
    await session.flush()
    return user


async def change_password(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: str | None,
) -> int:
    """Replace the password after proving the current one; every other session of the user ends.

    Returns how many sessions were revoked. The session making the change stays signed in."""
    matches = False
    if user.password_hash is not None:
        matches, _ = await verify_password_async(current_password, user.password_hash)
    if not matches:
        # A validation error, not a 401: the caller is signed in, and a 401 would make clients log out.
        raise ValidationFailed(
            "The current password is not correct.",
            details=[ErrorDetail("current_password", "is not correct")],
        )
    if current_password == new_password:
        raise ValidationFailed(details=[ErrorDetail("new_password", "must differ from the current password")])
    await set_password(user, new_password, field="new_password")
    revoked = await revoke_user_sessions(
        session, user_id=user.id, reason="password_changed", except_session_id=keep_session_id
    )
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action="auth.password_changed",
        entity_type="User",
        entity_id=user.id,
        changes={"sessions_revoked": {"from": None, "to": revoked}},
    )
    return revoked


async def current_user(session: AsyncSession, principal: Principal) -> User:
    """The signed-in person behind a user principal (the resolver has already checked they are active)."""
    if principal.kind != "user" or not principal.id.isdigit():
        raise Forbidden("Only a signed-in person can do this.")
    return await get_user(session, int(principal.id))
