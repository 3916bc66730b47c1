"""Campaigns: CRUD (soft delete), numbers with a primary, agents with capacity, priority and skills."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from nexo.core.pagination import Page, PageParams, paginate
from nexo.core.tenancy import current_tenant_id
from nexo.crm.campaigns.hours import check_timezone, normalise_hours
from nexo.crm.campaigns.models import Campaign, CampaignAgent, CampaignNumber
from nexo.crm.numbers.models import WhatsAppNumber
from nexo.identity.models import User

AUDITED = (
    "name",
    "code",
    "description",
    "status",
    "priority",
    "business_hours",
    "timezone",
    "sla_first_response_seconds",
    "sla_resolution_seconds",
    "bot_enabled",
    "bot_flow_id",
    "routing_strategy",
    "welcome_message",
    "offline_message",
)


@dataclass(frozen=True, slots=True)
class AgentAssignment:
    user_id: int
    max_concurrent_chats: int
    priority: int
    skills: Sequence[str]


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    if "business_hours" in cleaned:
        cleaned["business_hours"] = normalise_hours(cleaned["business_hours"])
    if cleaned.get("timezone") is not None:
        cleaned["timezone"] = check_timezone(cleaned["timezone"])
    if "code" in cleaned and cleaned["code"] is not None:
        cleaned["code"] = str(cleaned["code"]).strip().upper()
    for name in ("name", "code", "status", "priority", "timezone", "routing_strategy", "bot_enabled"):
        if name in cleaned and cleaned[name] is None:
            raise ValidationFailed(details=[ErrorDetail(name, "cannot be null")])
    return cleaned


async def _check_code_free(session: AsyncSession, code: str, *, other_than: int | None = None) -> None:
    query = select(Campaign.id).where(Campaign.code == code, Campaign.deleted_at.is_(None))
    if other_than is not None:
        query = query.where(Campaign.id != other_than)
    if await session.scalar(query) is not None:
        raise Conflict(
            "A campaign with this code already exists.",
            code="DUPLICATE_CODE",
            details=[ErrorDetail("code", f"{code} is taken")],
        )


async def get_campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.deleted_at.is_(None))
    )
    if campaign is None:
        raise NotFound("The campaign does not exist.")
    return campaign


async def list_campaigns(session: AsyncSession, *, status: str | None, params: PageParams) -> Page[Campaign]:
    query = select(Campaign).where(Campaign.deleted_at.is_(None)).order_by(Campaign.id)
    if status:
        query = query.where(Campaign.status == status)
    return await paginate(session, query, params)


async def create_campaign(session: AsyncSession, *, values: Mapping[str, Any], actor: Principal) -> Campaign:
    cleaned = _clean(values)
    await _check_code_free(session, cleaned["code"])
    campaign = Campaign(**cleaned)
    session.add(campaign)
    await session.flush()
    _audit(session, actor, "campaign.created", campaign.id, diff_changes({}, _snapshot(campaign)))
    return campaign


async def update_campaign(
    session: AsyncSession, *, campaign_id: int, values: Mapping[str, Any], actor: Principal
) -> Campaign:
    campaign = await get_campaign(session, campaign_id)
    cleaned = _clean(values)
    if cleaned.get("code") and cleaned["code"] != campaign.code:
        await _check_code_free(session, cleaned["code"], other_than=campaign.id)
    before = _snapshot(campaign)
    for name, value in cleaned.items():
        setattr(campaign, name, value)
    await session.flush()
    _audit(session, actor, "campaign.updated", campaign.id, diff_changes(before, _snapshot(campaign)))
    return campaign


async def delete_campaign(session: AsyncSession, *, campaign_id: int, actor: Principal) -> None:
    campaign = await get_campaign(session, campaign_id)
    campaign.deleted_at = utcnow()
    await session.execute(delete(CampaignNumber).where(CampaignNumber.campaign_id == campaign.id))
    await session.execute(delete(CampaignAgent).where(CampaignAgent.campaign_id == campaign.id))
    _audit(session, actor, "campaign.deleted", campaign.id, {"deleted_at": {"from": None, "to": "now"}})


async def assign_numbers(
    session: AsyncSession,
    *,
    campaign_id: int,
    number_ids: Sequence[int],
    primary_id: int | None,
    actor: Principal,
) -> None:
    """Replace the campaign's numbers; the primary defaults to the first one listed."""
    campaign = await get_campaign(session, campaign_id)
    ids = list(dict.fromkeys(number_ids))
    primary = primary_id if primary_id is not None else (ids[0] if ids else None)
    if primary is not None and primary not in ids:
        raise ValidationFailed(
            details=[ErrorDetail("primary_number_id", "must be one of whatsapp_number_ids")]
        )
    found = set(
        await session.scalars(
            select(WhatsAppNumber.id).where(WhatsAppNumber.id.in_(ids), WhatsAppNumber.deleted_at.is_(None))
        )
    )
    missing = [number_id for number_id in ids if number_id not in found]
    if missing:
        raise NotFound(
            "Some WhatsApp numbers do not exist.",
            details=[ErrorDetail("whatsapp_number_ids", f"unknown: {', '.join(map(str, missing))}")],
        )
    before = await numbers_of(session, [campaign.id])
    await session.execute(delete(CampaignNumber).where(CampaignNumber.campaign_id == campaign.id))
    tenant_id = current_tenant_id(session)
    rows = [
        {
            "tenant_id": tenant_id,
            "campaign_id": campaign.id,
            "whatsapp_number_id": n,
            "is_primary": n == primary,
        }
        for n in ids
    ]
    if rows:
        await session.execute(insert(CampaignNumber), rows)
    changes = {
        "numbers": {"from": [n.id for n, _ in before[campaign.id]], "to": ids},
        "primary": {"from": None, "to": primary},
    }
    _audit(session, actor, "campaign.numbers_assigned", campaign.id, changes)


async def assign_agents(
    session: AsyncSession, *, campaign_id: int, agents: Sequence[AgentAssignment], actor: Principal
) -> None:
    """Replace the campaign's agents with `agents` (each a user of the tenant)."""
    campaign = await get_campaign(session, campaign_id)
    user_ids = [agent.user_id for agent in agents]
    if len(set(user_ids)) != len(user_ids):
        raise ValidationFailed(details=[ErrorDetail("agents", "each user_id at most once")])
    found = set(
        await session.scalars(select(User.id).where(User.id.in_(user_ids), User.deleted_at.is_(None)))
    )
    missing = [user_id for user_id in user_ids if user_id not in found]
    if missing:
        raise NotFound(
            "Some users do not exist.",
            details=[ErrorDetail("agents", f"unknown user_id: {', '.join(map(str, missing))}")],
        )
    await session.execute(delete(CampaignAgent).where(CampaignAgent.campaign_id == campaign.id))
    tenant_id = current_tenant_id(session)
    rows = [
        {
            "tenant_id": tenant_id,
            "campaign_id": campaign.id,
            "user_id": agent.user_id,
            "max_concurrent_chats": agent.max_concurrent_chats,
            "priority": agent.priority,
            "skills": list(dict.fromkeys(agent.skills)),
        }
        for agent in agents
    ]
    if rows:
        await session.execute(insert(CampaignAgent), rows)
    _audit(
        session, actor, "campaign.agents_assigned", campaign.id, {"agents": {"from": None, "to": user_ids}}
    )


async def numbers_of(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, list[tuple[WhatsAppNumber, bool]]]:
    result: dict[int, list[tuple[WhatsAppNumber, bool]]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return result
    rows = await session.execute(
        select(CampaignNumber.campaign_id, WhatsAppNumber, CampaignNumber.is_primary)
        .join(WhatsAppNumber, WhatsAppNumber.id == CampaignNumber.whatsapp_number_id)
        .where(CampaignNumber.campaign_id.in_(campaign_ids), WhatsAppNumber.deleted_at.is_(None))
        .order_by(CampaignNumber.is_primary.desc(), WhatsAppNumber.id)
    )
    for campaign_id, number, is_primary in rows:
        result[campaign_id].append((number, is_primary))
    return result


async def agent_counts(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, int]:
    counts = dict.fromkeys(campaign_ids, 0)
    if campaign_ids:
        rows = await session.execute(
            select(CampaignAgent.campaign_id, func.count())
            .where(CampaignAgent.campaign_id.in_(campaign_ids))
            .group_by(CampaignAgent.campaign_id)
        )
        counts.update({campaign_id: int(count) for campaign_id, count in rows})
    return counts


async def agents_of(session: AsyncSession, campaign_id: int) -> list[CampaignAgent]:
    query = (
        select(CampaignAgent)
        .where(CampaignAgent.campaign_id == campaign_id)
        .order_by(CampaignAgent.priority.desc())
    )
    return list(await session.scalars(query))


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    return {name: getattr(campaign, name) for name in AUDITED}


def _audit(
    session: AsyncSession, actor: Principal, action: str, campaign_id: int, changes: dict[str, Any]
) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="Campaign",
        entity_id=campaign_id,
        changes=changes,
    )
