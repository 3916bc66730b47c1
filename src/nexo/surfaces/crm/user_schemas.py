"""crm §2 user shapes (snake_case, integer ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field, model_validator

from nexo.core.http.schemas import StrictBody, WireModel
from nexo.surfaces.crm.wire import MAX_INT_ID

UserStatus = Literal["active", "inactive", "suspended"]
ListedStatus = Literal["active", "inactive", "suspended", "invited"]
AgentStatus = Literal["available", "busy", "paused", "offline"]
E164 = r"^\+[1-9]\d{6,14}$"
HTTP_URL = r"^https?://"


class UserFields(StrictBody):
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=E164, description="E.164")
    avatar_url: str | None = Field(default=None, max_length=1000, pattern=HTTP_URL)
    status: UserStatus | None = None
    role_id: int | None = Field(default=None, gt=0, le=MAX_INT_ID)
    max_concurrent_chats: int | None = Field(default=None, ge=1, le=100)
    auto_assign_enabled: bool | None = None


class UserCreate(UserFields):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    first_name: str = Field(min_length=1, max_length=100)
    role: str | None = Field(
        default=None, min_length=1, max_length=64, description="The role's name, instead of role_id."
    )

    @model_validator(mode="after")
    def _one_role(self) -> UserCreate:
        if (self.role_id is None) == (self.role is None):
            raise ValueError("send role_id (or the role's name as role), not both")
        return self


class UserUpdate(UserFields):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)


class AgentStatusBody(StrictBody):
    agent_status: AgentStatus
    agent_status_reason: str | None = Field(default=None, max_length=200)


class RoleOut(WireModel):
    id: int
    name: str
    display_name: str


class UserOut(WireModel):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str | None
    avatar_url: str | None
    role: RoleOut
    status: str
    agent_status: str
    max_concurrent_chats: int
    created_at: datetime
    last_login_at: datetime | None


class UserCampaignOut(WireModel):
    id: int
    name: str
    priority: int


class UserDetail(UserOut):
    agent_status_reason: str | None
    auto_assign_enabled: bool
    campaigns: list[UserCampaignOut]
    permissions: list[str]


class UserCreated(WireModel):
    id: int
    email: str
    first_name: str
    last_name: str
    role: RoleOut
    created_at: datetime


class UserList(WireModel):
    data: list[UserOut]
    meta: dict[str, int]


class AgentStatusOut(WireModel):
    id: int
    agent_status: str
    agent_status_reason: str | None
    updated_at: datetime
