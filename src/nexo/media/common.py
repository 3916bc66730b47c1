"""Helpers every media service uses: fetch-or-404, referenced-row checks, date ranges, audit."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_mapper

from nexo.core.audit import Changes, diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from nexo.core.tenancy import TenantOwned

M = TypeVar("M", bound=TenantOwned)


async def get_or_404(session: AsyncSession, model: type[M], entity_id: int, label: str) -> M:
    """The row with this id in the session's tenant; another tenant's id is as unknown as a bad one."""
    row = await session.scalar(select(model).where(model.id == entity_id))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"No existe {label} con id {entity_id}.")
    return row


async def require_ref(session: AsyncSession, model: type[M], entity_id: int, field: str) -> M:
    """A row the request refers to by id; unknown ids are a validation error on that field."""
    row = await session.scalar(select(model).where(model.id == entity_id))  # type: ignore[attr-defined]
    if row is None:
        raise ValidationFailed(
            f"{field}: no existe un registro con id {entity_id}.",
            details=[ErrorDetail(field, f"no existe un registro con id {entity_id}")],
        )
    return row


def check_range(start: date | None, end: date | None, *, start_field: str, end_field: str) -> None:
    """Refuse a date range that ends before it starts, naming the end field."""
    if start is not None and end is not None and end < start:
        raise ValidationFailed(
            f"{end_field} ({end.isoformat()}) es anterior a {start_field} ({start.isoformat()}).",
            details=[ErrorDetail(end_field, f"debe ser igual o posterior a {start_field}")],
        )


def snapshot(row: object, fields: list[str] | None = None) -> dict[str, Any]:
    """The row's column values, for audit diffs."""
    columns = [attr.key for attr in object_mapper(row).column_attrs]
    return {name: getattr(row, name) for name in (fields or columns) if name not in _NOISE}


_NOISE = frozenset({"tenant_id", "created_at", "updated_at"})


def lines_snapshot(rows: list[Any], fields: list[str]) -> list[dict[str, str]]:
    """Child rows (rate-card lines, order lines) as text, for the audit record's JSON column."""
    return [{name: str(getattr(row, name)) for name in fields} for row in rows]


def audit(
    session: AsyncSession,
    actor: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> Changes:
    """Record the change in the audit trail; returns it (`{field: {from, to}}`) for the events."""
    kind, actor_id = actor.audit_actor()
    changes = diff_changes(before or {}, after or {})
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
    )
    return changes


def apply_fields(row: object, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(row, name, value)


async def delete_row(
    session: AsyncSession, actor: Principal, row: Any, *, entity_type: str, in_use: str
) -> None:
    """Delete a row, or refuse with 409 when other rows still point at it (the FKs RESTRICT)."""
    before = snapshot(row)
    await session.delete(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(in_use, code="RESOURCE_IN_USE") from exc
    audit(
        session,
        actor,
        action=f"{entity_type}.deleted",
        entity_type=entity_type,
        entity_id=before["id"],
        before=before,
        after=None,
    )
