"""crm §3 campaign shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexo.core.http.schemas import StrictBody, WireModel

CampaignStatus = Literal["active", "inactive", "paused"]
RoutingStrategy = Literal["round_robin", "least_busy"]
Window = dict[str, str]
DayHours = Window | list[Window] | None
MAX_INT_ID = 2**31 - 1


class CampaignFields(StrictBody):
    description: str | None = Field(default=None, max_length=2000)
    status: CampaignStatus | None = None
    priority: int | None = Field(default=None, ge=1, le=10)
    business_hours: dict[str, DayHours] | None = None
    timezone: str | None = Field(default=None, max_length=64)
    sla_first_response_seconds: int | None = Field(default=None, ge=1, le=30 * 86400)
    sla_resolution_seconds: int | None = Field(default=None, ge=1, le=365 * 86400)
    bot_enabled: bool | None = None
    bot_flow_id: int | None = Field(default=None, gt=0, le=MAX_INT_ID)
    routing_strategy: RoutingStrategy | None = None
    welcome_message: str | None = Field(default=None, max_length=4096)
    offline_message: str | None = Field(default=None, max_length=4096)


class CampaignCreate(CampaignFields):
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_\-]+$")


class CampaignUpdate(CampaignFields):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_\-]+$")


class NumbersBody(StrictBody):
    whatsapp_number_ids: list[int] = Field(max_length=100)
    primary_number_id: int | None = Field(default=None, gt=0, le=MAX_INT_ID)


class AgentItem(StrictBody):
    user_id: int = Field(gt=0, le=MAX_INT_ID)
    max_concurrent_chats: int = Field(default=5, ge=1, le=100)
    priority: int = Field(default=5, ge=0, le=100)
    skills: list[str] = Field(default_factory=list, max_length=50)


class AgentsBody(StrictBody):
    agents: list[AgentItem] = Field(max_length=500)


class CampaignNumberOut(WireModel):
    id: int
    phone_number: str
    display_name: str | None
    is_primary: bool


class CampaignAgentOut(WireModel):
    user_id: int
    max_concurrent_chats: int
    priority: int
    skills: list[str]


class CampaignOut(WireModel):
    id: int
    name: str
    code: str
    description: str | None
    status: str
    priority: int
    bot_enabled: bool
    routing_strategy: str
    whatsapp_numbers: list[CampaignNumberOut]
    agents_count: int
    active_chats: int
    created_at: datetime


class CampaignDetail(CampaignOut):
    business_hours: dict[str, Any]
    timezone: str
    sla_first_response_seconds: int | None
    sla_resolution_seconds: int | None
    bot_flow_id: int | None
    welcome_message: str | None
    offline_message: str | None
    agents: list[CampaignAgentOut]
    updated_at: datetime


class CampaignList(WireModel):
    data: list[CampaignOut]
    meta: dict[str, int]
