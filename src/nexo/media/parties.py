"""Clientes, agencias and proveedores: the parties of the business. Plain records with an
`activo`/`inactivo` status; deleting one that orders, campaigns, media or contracts still point at is
refused (mark it `inactivo` instead), so history never loses its counterpart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.media import events
from nexo.media.common import apply_fields, audit, delete_row, get_or_404, snapshot
from nexo.media.figures import margin_pct
from nexo.media.models import Agencia, Cliente, Orden, Proveedor
from nexo.media.transitions import COMMITTED

LABELS: dict[type[Any], tuple[str, str]] = {
    Cliente: ("cliente", "un cliente"),
    Agencia: ("agencia", "una agencia"),
    Proveedor: ("proveedor", "un proveedor"),
}


def list_query(model: Any, *, search: str | None = None, status: str | None = None) -> Select[Any]:
    """Rows of a party table, filtered by a free-text `search` over names, email and RFC."""
    statement = select(model).order_by(model.nombre, model.id)
    if status:
        statement = statement.where(model.status == status)
    if search and search.strip():
        term = search.strip().lower()
        columns = [model.nombre, model.email, model.rfc]
        if hasattr(model, "razon_social"):
            columns.append(model.razon_social)
        statement = statement.where(or_(*(func.lower(c).contains(term, autoescape=True) for c in columns)))
    return statement


async def get(session: AsyncSession, model: Any, entity_id: int) -> Any:
    return await get_or_404(session, model, entity_id, LABELS[model][1])


async def create(session: AsyncSession, actor: Principal, model: Any, fields: dict[str, Any]) -> Any:
    row = model(**fields, created_by=actor.id)
    session.add(row)
    await session.flush()
    entity = LABELS[model][0]
    audit(
        session,
        actor,
        action=f"{entity}.created",
        entity_type=entity,
        entity_id=row.id,
        before=None,
        after=snapshot(row),
    )
    if model is Cliente:
        events.cliente_creado(session, row)
    return row


async def update(
    session: AsyncSession, actor: Principal, model: Any, entity_id: int, fields: dict[str, Any]
) -> Any:
    row = await get(session, model, entity_id)
    before = snapshot(row)
    apply_fields(row, fields)
    await session.flush()
    entity = LABELS[model][0]
    changes = audit(
        session,
        actor,
        action=f"{entity}.updated",
        entity_type=entity,
        entity_id=row.id,
        before=before,
        after=snapshot(row),
    )
    if model is Cliente and changes:
        events.cliente_actualizado(session, row, cambios=changes)
    return row


async def delete(session: AsyncSession, actor: Principal, model: Any, entity_id: int) -> None:
    row = await get(session, model, entity_id)
    entity, label = LABELS[model]
    message = (
        f"No se puede eliminar {label} que tiene registros asociados (órdenes, campañas, medios o "
        "contratos); cámbialo a status 'inactivo'."
    )
    tenant_id, row_id = row.tenant_id, row.id
    await delete_row(session, actor, row, entity_type=entity, in_use=message)
    if model is Cliente:
        events.cliente_eliminado(session, cliente_id=row_id, tenant_id=tenant_id)


async def average_margins(session: AsyncSession, cliente_ids: list[int]) -> dict[int, Decimal | None]:
    """Each client's `rentabilidad_promedio`: margin over revenue of its committed orders, in percent
    (weighted by revenue, so a big order counts more than a small one). None without revenue."""
    if not cliente_ids:
        return {}
    rows = await session.execute(
        select(Orden.cliente_id, func.sum(Orden.total), func.sum(Orden.costo))
        .where(Orden.cliente_id.in_(cliente_ids), Orden.estado.in_(COMMITTED))
        .group_by(Orden.cliente_id)
    )
    margins: dict[int, Decimal | None] = dict.fromkeys(cliente_ids)
    for cliente_id, total, costo in rows:
        margins[cliente_id] = margin_pct(total or Decimal(0), costo or Decimal(0))
    return margins
