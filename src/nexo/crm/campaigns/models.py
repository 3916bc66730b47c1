"""Campaign tables. A campaign is soft-deleted (`deleted_at`), since chats and reports keep
pointing at it; its code is unique among the tenant's live campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime
from nexo.core.tenancy import TenantOwned

CAMPAIGN_STATUSES = ("active", "inactive", "paused")
ROUTING_STRATEGIES = ("round_robin", "least_busy")
_LIVE = text("deleted_at IS NULL")


class Campaign(TenantOwned, Timestamped, Base):
    __tablename__ = "crm_campaigns"
    __table_args__ = (
        Index(
            "uq_crm_campaigns_tenant_id_code",
            "tenant_id",
            "code",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    priority: Mapped[int] = mapped_column(Integer, default=5)
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # weekday → [windows]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sla_first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    sla_resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    bot_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_flow_id: Mapped[int | None] = mapped_column(Integer)  # FK once bot flows exist
    routing_strategy: Mapped[str] = mapped_column(String(16), default="round_robin")
    welcome_message: Mapped[str | None] = mapped_column(Text)
    offline_message: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CampaignNumber(TenantOwned, Base):
    __tablename__ = "crm_campaign_numbers"
    __table_args__ = (UniqueConstraint("campaign_id", "whatsapp_number_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("crm_campaigns.id", ondelete="CASCADE"))
    whatsapp_number_id: Mapped[int] = mapped_column(
        ForeignKey("crm_whatsapp_numbers.id", ondelete="CASCADE"), index=True
    )
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class CampaignAgent(TenantOwned, Base):
    __tablename__ = "crm_campaign_agents"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("crm_campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    max_concurrent_chats: Mapped[int] = mapped_column(Integer, default=5)
    priority: Mapped[int] = mapped_column(Integer, default=5)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
