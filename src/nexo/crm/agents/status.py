"""Agent status (crm §2.6): available, busy, paused or offline, with a reason and a history.

The current status lives on the agent's profile; every change also closes the open period in
`crm_agent_status_changes` and opens a new one, so reports can sum time per status for any range.
The profile row is locked while the periods change, so two concurrent changes cannot both leave a
period open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, Forbidden
from nexo.crm.agents.models import AgentProfile, AgentStatusChange

STATUS_PERMISSION = "users.status"
OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class ProfileDefaults:
    """What an agent without a profile row looks like (users made by invitations or seeds)."""

    agent_status: str = OFFLINE
    agent_status_reason: str | None = None
    max_concurrent_chats: int = 5
    auto_assign_enabled: bool = True


DEFAULTS = ProfileDefaults()


def check_may_set_status(principal: Principal, user_id: int) -> None:
    """An agent sets their own status; anyone else needs `users.status` (supervisors, admins)."""
    if principal.kind == "user" and principal.id == str(user_id):
        return
    if not principal.can(STATUS_PERMISSION):
        raise Forbidden(
            f"Missing permission: {STATUS_PERMISSION}.",
            code="INSUFFICIENT_PERMISSIONS",
        )


async def ensure_profile(session: AsyncSession, user_id: int, *, lock: bool = False) -> AgentProfile:
    """The user's agent profile, created with the defaults when missing; `lock` takes a row lock."""
    query = select(AgentProfile).where(AgentProfile.user_id == user_id)
    if lock:
        query = query.with_for_update()
    profile = await session.scalar(query)
    if profile is not None:
        return profile
    try:
        async with session.begin_nested():
            profile = AgentProfile(user_id=user_id)
            session.add(profile)
    except IntegrityError:
        # A concurrent request created it first: use theirs.
        profile = await session.scalar(query.execution_options(populate_existing=True))
        assert profile is not None
    return profile


async def change_status(
    session: AsyncSession,
    *,
    user_id: int,
    user_active: bool,
    status: str,
    reason: str | None,
    actor: Principal,
) -> AgentProfile:
    """Set the agent's status; a change of status or reason opens a new history period. Audited."""
    check_may_set_status(actor, user_id)
    if status != OFFLINE and not user_active:
        raise Conflict(
            "Only an active user can take chats; this one can only be offline.",
            code="USER_NOT_ACTIVE",
        )
    profile = await ensure_profile(session, user_id, lock=True)
    if (profile.agent_status, profile.agent_status_reason) == (status, reason):
        return profile
    before = {"agent_status": profile.agent_status, "agent_status_reason": profile.agent_status_reason}
    await _new_period(session, profile, status=status, reason=reason, actor=actor)
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="user.agent_status_changed",
        entity_type="User",
        entity_id=user_id,
        changes=diff_changes(before, {"agent_status": status, "agent_status_reason": reason}),
    )
    return profile


async def go_offline(session: AsyncSession, *, user_id: int, reason: str, actor: Principal) -> None:
    """Take a deactivated or deleted user out of routing: offline, with the open period closed.
    Users who never had a profile have nothing to close."""
    profile = await session.scalar(
        select(AgentProfile).where(AgentProfile.user_id == user_id).with_for_update()
    )
    if profile is not None and profile.agent_status != OFFLINE:
        await _new_period(session, profile, status=OFFLINE, reason=reason, actor=actor)


async def _new_period(
    session: AsyncSession, profile: AgentProfile, *, status: str, reason: str | None, actor: Principal
) -> None:
    now = utcnow()
    await session.execute(
        update(AgentStatusChange)
        .where(AgentStatusChange.user_id == profile.user_id, AgentStatusChange.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    kind, actor_id = actor.audit_actor()
    session.add(
        AgentStatusChange(
            user_id=profile.user_id,
            status=status,
            reason=reason,
            started_at=now,
            changed_by=f"{kind}:{actor_id}"[:64],
        )
    )
    profile.agent_status = status
    profile.agent_status_reason = reason
    profile.status_changed_at = now
    await session.flush()
