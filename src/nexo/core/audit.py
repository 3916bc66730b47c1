"""The audit trail: who did what to which entity, what changed, from where, and whether it worked.

`record_audit` writes inside the caller's transaction, so the record commits or rolls back with the
change it describes. Failures (a refused login, a permission denial) have no transaction worth
keeping; `record_audit_detached` writes them in a transaction of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.context import current_request, defer_until_request_ends
from nexo.core.db.base import Base
from nexo.core.db.session import Database
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned, allow_all_tenants

Changes = dict[str, dict[str, Any]]


class AuditRecord(TenantOwned, Base):
    __tablename__ = "audit_records"
    __tenant_optional__ = True  # platform-level actions belong to no tenant
    __table_args__ = (Index("ix_audit_records_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[Changes] = mapped_column(JSON, default=dict)
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    request_id: Mapped[str | None] = mapped_column(String(128))


def _plain(value: Any) -> Any:
    """JSON-safe rendering of the values models hold."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def diff_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """`{field: {"from": old, "to": new}}` for the fields whose value differs."""
    fields = before.keys() | after.keys()
    return {
        field: {"from": _plain(before.get(field)), "to": _plain(after.get(field))}
        for field in sorted(fields)
        if before.get(field) != after.get(field)
    }


def _new_record(
    *,
    actor_type: str,
    actor_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str | None,
    changes: Changes | None,
    success: bool,
    tenant_id: int | None,
) -> AuditRecord:
    info = current_request.get()
    return AuditRecord(
        tenant_id=tenant_id,
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes or {},
        success=success,
        ip=info.ip if info else None,
        user_agent=(info.user_agent or "")[:512] or None if info else None,
        request_id=info.request_id if info else None,
    )


def record_audit(
    session: AsyncSession,
    *,
    actor_type: str,
    actor_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str | int | None = None,
    changes: Changes | None = None,
    success: bool = True,
) -> AuditRecord:
    """Add an audit record to the caller's transaction; the tenant comes from the session's scope."""
    record = _new_record(
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        changes=changes,
        success=success,
        tenant_id=None,
    )
    session.add(record)
    return record


async def record_audit_detached(
    database: Database,
    *,
    tenant_id: int | None,
    actor_type: str,
    actor_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str | int | None = None,
    changes: Changes | None = None,
    success: bool = False,
) -> None:
    """Write an audit record in its own transaction, for events whose request will roll back.

    Inside a request the write waits until the request's transaction is over (see
    `defer_until_request_ends`); the request's origin is captured now, while it is known.
    """
    record = _new_record(
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        changes=changes,
        success=success,
        tenant_id=tenant_id,
    )

    async def write() -> None:
        async with database.transaction() as session:
            allow_all_tenants(session, reason="detached audit record names its tenant explicitly")
            session.add(record)

    if not defer_until_request_ends(write):
        await write()
