"""Agent tables, keyed by the identity user's id.

`crm_agent_status_changes` keeps one row per status period (`started_at`, `ended_at` NULL while
current), so time per status is a sum of closed periods plus the open one, for any date range."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned

AGENT_STATUSES = ("available", "busy", "paused", "offline")


class AgentProfile(TenantOwned, Timestamped, Base):
    __tablename__ = "crm_agent_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    agent_status: Mapped[str] = mapped_column(String(16), default="offline")
    agent_status_reason: Mapped[str | None] = mapped_column(String(200))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_concurrent_chats: Mapped[int] = mapped_column(Integer, default=5)
    auto_assign_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)


class AgentStatusChange(TenantOwned, Base):
    __tablename__ = "crm_agent_status_changes"
    __table_args__ = (Index("ix_crm_agent_status_changes_user_id_started_at", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    changed_by: Mapped[str | None] = mapped_column(String(64))
