"""crm user management (§2.1–2.5): the tenant's people who sign in to the crm, with their agent side.

Accounts, passwords and sessions are identity's (`nexo.identity.users`, `.sessions`); this module
adds what the crm asks of them: roles of the crm family only, the agent profile (capacity,
auto-assignment, status), the campaigns an agent serves, and soft deletion that also signs the person
out everywhere and takes them out of routing.

A "crm user" is a live user whose role serves the crm (family `crm` or `any`); the tenant's
collections-only people are not listed here and are 404 by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from nexo.core.pagination import Page, PageParams, paginate
from nexo.credentials.oauth.grants import revoke_grants_of_user
from nexo.crm.agents.models import AgentProfile
from nexo.crm.agents.status import DEFAULTS, ensure_profile, go_offline
from nexo.crm.campaigns.models import Campaign, CampaignAgent
from nexo.identity.models import Role, User
from nexo.identity.roles import check_can_grant
from nexo.identity.sessions import revoke_user_sessions
from nexo.identity.users import create_user

SURFACE = "crm"
CRM_FAMILIES = (SURFACE, "any")
USER_FIELDS = ("first_name", "last_name", "phone", "avatar_url", "status")
PROFILE_FIELDS = ("max_concurrent_chats", "auto_assign_enabled")
NOT_NULL = ("first_name", "last_name", "status", "role_id", *PROFILE_FIELDS)


@dataclass(frozen=True, slots=True)
class CrmUser:
    """A user with their role loaded and their agent profile (None until they first need one)."""

    user: User
    profile: AgentProfile | None

    def agent(self, name: str) -> Any:
        source = self.profile if self.profile is not None else DEFAULTS
        return getattr(source, name)


def _crm_users() -> Select[Any]:
    return (
        select(User, AgentProfile)
        .join(User.role)
        .options(contains_eager(User.role))
        .outerjoin(AgentProfile, AgentProfile.user_id == User.id)
        .where(User.deleted_at.is_(None), Role.surface.in_(CRM_FAMILIES))
    )


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_users(
    session: AsyncSession,
    *,
    role: str | None,
    status: str | None,
    search: str | None,
    params: PageParams,
) -> Page[CrmUser]:
    """One page of the tenant's crm users, oldest first; `search` matches name or email, any case."""
    query = _crm_users().order_by(User.id)
    if role:
        query = query.where(Role.name == role)
    if status:
        query = query.where(User.status == status)
    if search and search.strip():
        pattern = _like(search.strip())
        full_name = User.first_name + " " + User.last_name
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (full_name, User.email))))
    page = await paginate(session, query, params)
    items = [CrmUser(user=user, profile=profile) for user, profile in page.items]
    return Page(items=items, total=page.total, page=page.page, limit=page.limit)


async def get_crm_user(session: AsyncSession, user_id: int, *, lock: bool = False) -> CrmUser:
    query = _crm_users().where(User.id == user_id)
    if lock:
        query = query.with_for_update(of=User)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("The user does not exist.")
    return CrmUser(user=row[0], profile=row[1])


async def campaigns_of(session: AsyncSession, user_id: int) -> list[Campaign]:
    """The live campaigns the agent is assigned to, highest priority first."""
    query = (
        select(Campaign)
        .join(CampaignAgent, CampaignAgent.campaign_id == Campaign.id)
        .where(CampaignAgent.user_id == user_id, Campaign.deleted_at.is_(None))
        .order_by(Campaign.priority.desc(), Campaign.id)
    )
    return list(await session.scalars(query))


async def crm_role(session: AsyncSession, *, role_id: int | None, name: str | None) -> Role:
    """The tenant's role of the crm family named by id or by name; unknown → 422 on that field."""
    query = select(Role).where(Role.surface.in_(CRM_FAMILIES))
    query = query.where(Role.id == role_id) if role_id is not None else query.where(Role.name == name)
    roles = sorted(await session.scalars(query), key=lambda role: role.surface != SURFACE)
    if not roles:
        field = "role_id" if role_id is not None else "role"
        raise ValidationFailed("There is no such crm role.", details=[ErrorDetail(field, "unknown role")])
    return roles[0]


async def create_crm_user(
    session: AsyncSession, *, values: Mapping[str, Any], role: Role, actor: Principal
) -> CrmUser:
    """A new crm user with an agent profile; the password must meet the policy (422 otherwise)."""
    check_can_grant(actor, role)
    try:
        async with session.begin_nested():
            user = await create_user(
                session,
                email=values["email"],
                role=role,
                password=values["password"],
                first_name=values.get("first_name") or "",
                last_name=values.get("last_name") or "",
                phone=values.get("phone"),
                status=values.get("status") or "active",
            )
    except IntegrityError as error:
        # A concurrent request took the email between the check and the insert.
        raise Conflict(
            "A user with this email already exists.",
            code="EMAIL_TAKEN",
            details=[ErrorDetail("email", "already in use")],
        ) from error
    user.avatar_url = values.get("avatar_url")
    profile = await ensure_profile(session, user.id)
    for name in PROFILE_FIELDS:
        if values.get(name) is not None:
            setattr(profile, name, values[name])
    await session.flush()
    created = CrmUser(user=user, profile=profile)
    _audit(session, actor, "user.created", user.id, diff_changes({}, _snapshot(created)))
    return created


async def update_crm_user(
    session: AsyncSession, *, user_id: int, values: Mapping[str, Any], role: Role | None, actor: Principal
) -> CrmUser:
    """Change the fields sent; a user leaving "active" is signed out everywhere and goes offline."""
    nulls = [name for name in NOT_NULL if name in values and values[name] is None]
    if nulls:
        raise ValidationFailed(details=[ErrorDetail(name, "cannot be null") for name in nulls])
    target = await get_crm_user(session, user_id, lock=True)
    user = target.user
    leaving = values.get("status", user.status) != "active" and user.status == "active"
    if leaving or role is not None:
        _refuse_self(actor, user_id, "change your own role or status")
    if role is not None:
        check_can_grant(actor, role)
    before = _snapshot(target)
    for name in USER_FIELDS:
        if name in values:
            setattr(user, name, values[name])
    if role is not None:
        user.role_id, user.role = role.id, role
    profile = target.profile
    if any(name in values for name in PROFILE_FIELDS):
        profile = await ensure_profile(session, user.id)
        for name in PROFILE_FIELDS:
            if name in values:
                setattr(profile, name, values[name])
    if leaving:
        await _sign_out(session, user_id=user.id, reason="user_deactivated", actor=actor)
    await session.flush()
    updated = CrmUser(user=user, profile=profile)
    _audit(session, actor, "user.updated", user.id, diff_changes(before, _snapshot(updated)))
    return updated


async def delete_crm_user(session: AsyncSession, *, user_id: int, actor: Principal) -> None:
    """Soft delete: the row stays for history (chats, audit), the email is free again, every session
    ends, and the agent leaves routing and every campaign."""
    _refuse_self(actor, user_id, "delete your own account")
    target = await get_crm_user(session, user_id, lock=True)
    user = target.user
    before = {"status": user.status, "deleted_at": None}
    user.deleted_at = utcnow()
    user.status = "deleted"
    await _sign_out(session, user_id=user.id, reason="user_deleted", actor=actor)
    await session.execute(delete(CampaignAgent).where(CampaignAgent.user_id == user.id))
    await session.flush()
    after = {"status": user.status, "deleted_at": user.deleted_at}
    _audit(session, actor, "user.deleted", user.id, diff_changes(before, after))


async def _sign_out(session: AsyncSession, *, user_id: int, reason: str, actor: Principal) -> None:
    """End everything the user can act through: sign-ins, and what they approved for OAuth clients
    (those clients' tokens check their grant on every request, so they stop at once)."""
    await revoke_user_sessions(session, user_id=user_id, reason=reason)
    await revoke_grants_of_user(session, user_id=str(user_id))
    await go_offline(session, user_id=user_id, reason=reason, actor=actor)


def _refuse_self(actor: Principal, user_id: int, what: str) -> None:
    """Nobody locks themselves out: an admin's own account is changed by another admin."""
    if actor.kind == "user" and actor.id == str(user_id):
        raise Conflict(f"You cannot {what}.", code="SELF_CHANGE_REFUSED")


def _snapshot(target: CrmUser) -> dict[str, Any]:
    user = target.user
    values = {name: getattr(user, name) for name in ("email", "role_id", *USER_FIELDS)}
    values.update({name: target.agent(name) for name in PROFILE_FIELDS})
    return values


def _audit(session: AsyncSession, actor: Principal, action: str, user_id: int, changes: Any) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="User",
        entity_id=user_id,
        changes=changes,
    )
