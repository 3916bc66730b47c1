"""WhatsApp number table. Provider secrets (access tokens, API keys, session tokens, the webhook
verify token) live only in `secrets_encrypted`, a SecretBox ciphertext of a JSON object, and are
never returned by the API. Non-secret provider settings are in `provider_config`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime
from nexo.core.tenancy import TenantOwned

PROVIDERS = ("meta", "wppconnect", "evolution")
NUMBER_STATUSES = ("pending", "active", "inactive", "error")
_LIVE = text("deleted_at IS NULL")


class WhatsAppNumber(TenantOwned, Timestamped, Base):
    __tablename__ = "crm_whatsapp_numbers"
    __table_args__ = (
        Index(
            "uq_crm_whatsapp_numbers_tenant_id_phone_number",
            "tenant_id",
            "phone_number",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    connection_status: Mapped[str] = mapped_column(String(16), default="disconnected")
    provider_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets_encrypted: Mapped[str] = mapped_column(Text)
    daily_message_limit: Mapped[int | None] = mapped_column(Integer)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    total_messages_sent: Mapped[int] = mapped_column(Integer, default=0)
    total_messages_received: Mapped[int] = mapped_column(Integer, default=0)
    last_connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    is_healthy: Mapped[bool | None] = mapped_column(Boolean)
    last_response_time_ms: Mapped[int | None] = mapped_column(Integer)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
