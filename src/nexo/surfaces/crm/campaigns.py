"""crm §3 (campaigns).

GET    /campaigns               status, page, limit → {data, meta}      campaigns.read
POST   /campaigns               §3.2 (201)                              campaigns.create
GET    /campaigns/:id           §3.3, with business hours and agents    campaigns.read
PUT    /campaigns/:id           §3.4: the fields sent change            campaigns.update
DELETE /campaigns/:id           §3.5 (204, soft delete)                 campaigns.delete
POST   /campaigns/:id/numbers   §3.6 replaces the numbers               campaigns.assign
POST   /campaigns/:id/agents    §3.7 replaces the agents                campaigns.assign
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, crm_meta, page_params
from nexo.crm.campaigns import service
from nexo.crm.campaigns.hours import render_hours
from nexo.crm.campaigns.models import Campaign
from nexo.surfaces.base import surface_router
from nexo.surfaces.crm.campaign_schemas import (
    AgentsBody,
    CampaignAgentOut,
    CampaignCreate,
    CampaignDetail,
    CampaignList,
    CampaignNumberOut,
    CampaignOut,
    CampaignStatus,
    CampaignUpdate,
    NumbersBody,
)
from nexo.surfaces.crm.wire import IdPath, allowed

router = surface_router(prefix="/campaigns", tags=["campaigns"])

CampaignId = Annotated[int, IdPath("The campaign's id.")]
Reader = Annotated[Principal, allowed("campaigns.read")]
Creator = Annotated[Principal, allowed("campaigns.create")]
Updater = Annotated[Principal, allowed("campaigns.update")]
Deleter = Annotated[Principal, allowed("campaigns.delete")]
Assigner = Annotated[Principal, allowed("campaigns.assign")]


async def _outs(session: AsyncSession, campaigns: list[Campaign]) -> list[CampaignOut]:
    ids = [campaign.id for campaign in campaigns]
    numbers = await service.numbers_of(session, ids)
    counts = await service.agent_counts(session, ids)
    return [
        CampaignOut.model_validate(
            {
                **{
                    name: getattr(campaign, name)
                    for name in CampaignOut.model_fields
                    if hasattr(campaign, name)
                },
                "whatsapp_numbers": [
                    CampaignNumberOut(
                        id=number.id,
                        phone_number=number.phone_number,
                        display_name=number.display_name,
                        is_primary=is_primary,
                    )
                    for number, is_primary in numbers[campaign.id]
                ],
                "agents_count": counts[campaign.id],
                "active_chats": 0,  # the conversations issue counts open chats
            }
        )
        for campaign in campaigns
    ]


async def _detail(session: AsyncSession, campaign: Campaign) -> CampaignDetail:
    (summary,) = await _outs(session, [campaign])
    agents = await service.agents_of(session, campaign.id)
    return CampaignDetail.model_validate(
        {
            **summary.model_dump(),
            "business_hours": render_hours(campaign.business_hours),
            "timezone": campaign.timezone,
            "sla_first_response_seconds": campaign.sla_first_response_seconds,
            "sla_resolution_seconds": campaign.sla_resolution_seconds,
            "bot_flow_id": campaign.bot_flow_id,
            "welcome_message": campaign.welcome_message,
            "offline_message": campaign.offline_message,
            "agents": [CampaignAgentOut.model_validate(agent) for agent in agents],
            "updated_at": campaign.updated_at,
        }
    )


@router.get("", response_model=CampaignList, summary="List campaigns (§3.1)")
async def list_(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[CampaignStatus | None, Query()] = None,
) -> CampaignList:
    result = await service.list_campaigns(session, status=status, params=page)
    return CampaignList(data=await _outs(session, result.items), meta=crm_meta(result))


@router.post("", status_code=201, response_model=CampaignDetail, summary="Create a campaign (§3.2)")
async def create(body: CampaignCreate, session: SessionDep, principal: Creator) -> CampaignDetail:
    campaign = await service.create_campaign(
        session, values=body.model_dump(exclude_unset=True), actor=principal
    )
    return await _detail(session, campaign)


@router.get("/{campaign_id}", response_model=CampaignDetail, summary="Get a campaign (§3.3)")
async def get(campaign_id: CampaignId, session: SessionDep, principal: Reader) -> CampaignDetail:
    return await _detail(session, await service.get_campaign(session, campaign_id))


@router.put("/{campaign_id}", response_model=CampaignDetail, summary="Update a campaign (§3.4)")
async def update(
    campaign_id: CampaignId, body: CampaignUpdate, session: SessionDep, principal: Updater
) -> CampaignDetail:
    campaign = await service.update_campaign(
        session, campaign_id=campaign_id, values=body.model_dump(exclude_unset=True), actor=principal
    )
    return await _detail(session, campaign)


@router.delete("/{campaign_id}", status_code=204, summary="Delete a campaign (§3.5)")
async def delete(campaign_id: CampaignId, session: SessionDep, principal: Deleter) -> Response:
    await service.delete_campaign(session, campaign_id=campaign_id, actor=principal)
    return Response(status_code=204)


@router.post("/{campaign_id}/numbers", response_model=CampaignDetail, summary="Assign numbers (§3.6)")
async def assign_numbers(
    campaign_id: CampaignId, body: NumbersBody, session: SessionDep, principal: Assigner
) -> CampaignDetail:
    await service.assign_numbers(
        session,
        campaign_id=campaign_id,
        number_ids=body.whatsapp_number_ids,
        primary_id=body.primary_number_id,
        actor=principal,
    )
    return await _detail(session, await service.get_campaign(session, campaign_id))


@router.post("/{campaign_id}/agents", response_model=CampaignDetail, summary="Assign agents (§3.7)")
async def assign_agents(
    campaign_id: CampaignId, body: AgentsBody, session: SessionDep, principal: Assigner
) -> CampaignDetail:
    agents = [
        service.AgentAssignment(
            user_id=item.user_id,
            max_concurrent_chats=item.max_concurrent_chats,
            priority=item.priority,
            skills=item.skills,
        )
        for item in body.agents
    ]
    await service.assign_agents(session, campaign_id=campaign_id, agents=agents, actor=principal)
    return await _detail(session, await service.get_campaign(session, campaign_id))
