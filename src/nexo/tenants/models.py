"""The tenant row: what every tenant-owned row points at."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped


class Tenant(Timestamped, Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid(), default=uuid.uuid4, unique=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32), default="standard")
    status: Mapped[str] = mapped_column(String(16), default="active")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Mexico_City")
    rfc: Mapped[str | None] = mapped_column(String(13))  # Mexican tax id (collections "organizations")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # currency, emailDomain…
