"""crm §4 WhatsApp number shapes. Secrets are accepted in requests and never rendered."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from nexo.core.http.schemas import StrictBody, WireModel

Provider = Literal["meta", "wppconnect", "evolution"]
NumberStatus = Literal["pending", "active", "inactive", "error"]
Secret = Field(default=None, min_length=1, max_length=2000)
Setting = Field(default=None, min_length=1, max_length=500)


class NumberSecrets(StrictBody):
    meta_access_token: str | None = Secret
    meta_app_secret: str | None = Secret
    webhook_verify_token: str | None = Secret
    wppconnect_api_key: str | None = Secret
    evolution_api_key: str | None = Secret


class NumberCreate(NumberSecrets):
    phone_number: str = Field(min_length=1, max_length=40)
    display_name: str | None = Field(default=None, max_length=200)
    provider: Provider
    meta_phone_number_id: str | None = Setting
    meta_business_account_id: str | None = Setting
    wppconnect_session_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,100}$")
    wppconnect_server_url: str | None = Field(default=None, pattern=r"^https?://", max_length=500)
    evolution_instance_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,100}$")
    evolution_server_url: str | None = Field(default=None, pattern=r"^https?://", max_length=500)
    daily_message_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)


class NumberUpdate(NumberSecrets):
    display_name: str | None = Field(default=None, max_length=200)
    status: Literal["active", "inactive"] | None = None
    daily_message_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=100_000)


class NumberCampaign(WireModel):
    id: int
    name: str


class NumberOut(WireModel):
    id: int
    phone_number: str
    display_name: str | None
    provider: str
    status: str
    connection_status: str
    last_connected_at: datetime | None
    daily_message_limit: int | None
    rate_limit_per_minute: int | None
    total_messages_sent: int
    total_messages_received: int
    campaigns: list[NumberCampaign]
    created_at: datetime


class NumberList(WireModel):
    data: list[NumberOut]


class NumberCreated(WireModel):
    id: int
    phone_number: str
    provider: str
    status: str
    connection_status: str
    webhook_url: str
    qr_code: str | None
    wppconnect_qr_code: str | None
    message: str | None
    last_error: str | None
    created_at: datetime


class Health(WireModel):
    is_healthy: bool | None
    response_time_ms: int | None
    last_check_at: datetime | None


class NumberStatusOut(WireModel):
    id: int
    status: str
    connection_status: str
    last_connected_at: datetime | None
    last_error: str | None
    health: Health


class QrOut(WireModel):
    qr_code: str | None
    expires_at: datetime | None
    connection_status: str
