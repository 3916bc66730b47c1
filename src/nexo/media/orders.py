"""Órdenes: creation with priced lines, listing with the filters an invoicing system needs, updates
that respect the state machine (`transitions`), and the events each change emits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.media import events
from nexo.media.common import apply_fields, audit, check_range, lines_snapshot, require_ref, snapshot
from nexo.media.figures import MAX_AMOUNT, line_amount
from nexo.media.models import Campana, Cliente, Contrato, Medio, Orden, OrdenItem, Proveedor, Tarifa
from nexo.media.transitions import PENDIENTE, check_editable, check_transition

# Changing any of these rewrites what was bought (or the period it is reported in): allowed only
# while the order is editable.
LOCKED_FIELDS = ("cliente_id", "campana_id", "proveedor_id", "medio_id", "contrato_id", "fecha", "items")


@dataclass(frozen=True, slots=True)
class Filters:
    estado: str | None = None
    fecha_desde: date | None = None
    fecha_hasta: date | None = None
    cliente_id: int | None = None
    campana_id: int | None = None
    proveedor_id: int | None = None
    medio_id: int | None = None


def _with_details(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Orden.items), selectinload(Orden.cliente), selectinload(Orden.medio)
    )


def ordenes_query(filters: Filters) -> Select[Any]:
    """Orders, newest first. `fecha_desde`/`fecha_hasta` bound the order's date, both inclusive."""
    check_range(filters.fecha_desde, filters.fecha_hasta, start_field="fecha_desde", end_field="fecha_hasta")
    statement = _with_details(select(Orden)).order_by(Orden.fecha.desc(), Orden.id.desc())
    for name in ("estado", "cliente_id", "campana_id", "proveedor_id", "medio_id"):
        value = getattr(filters, name)
        if value is not None:
            statement = statement.where(getattr(Orden, name) == value)
    if filters.fecha_desde is not None:
        statement = statement.where(Orden.fecha >= filters.fecha_desde)
    if filters.fecha_hasta is not None:
        statement = statement.where(Orden.fecha <= filters.fecha_hasta)
    return statement


async def get_orden(session: AsyncSession, orden_id: int, *, lock: bool = False) -> Orden:
    """The order with its lines. `lock=True` holds its row until the transaction ends (PostgreSQL
    `FOR UPDATE`; SQLite's single writer already serialises), so two concurrent state changes are
    checked one after the other instead of both passing against the same old state."""
    statement = _with_details(select(Orden)).where(Orden.id == orden_id)
    if lock:
        statement = statement.with_for_update(of=Orden)
    # populate_existing: an order just written is re-read whole (lines, summaries), not half-cached.
    orden: Orden | None = await session.scalar(statement.execution_options(populate_existing=True))
    if orden is None:
        raise NotFound(f"No existe una orden con id {orden_id}.")
    return orden


async def _parties(session: AsyncSession, values: dict[str, Any]) -> None:
    """Check every referenced row exists in the tenant and that they belong together; fills
    `proveedor_id` from the medio when the caller left it out."""
    await require_ref(session, Cliente, values["cliente_id"], "cliente_id")
    medio = await require_ref(session, Medio, values["medio_id"], "medio_id")
    if medio.status != "activo":
        raise _invalid("medio_id", f"el medio {medio.id} está inactivo")
    if values.get("proveedor_id") is None:
        if medio.proveedor_id is None:
            raise _invalid("proveedor_id", "requerido: el medio no tiene proveedor asignado")
        values["proveedor_id"] = medio.proveedor_id
    elif medio.proveedor_id is not None and medio.proveedor_id != values["proveedor_id"]:
        raise _invalid("proveedor_id", f"el medio {medio.id} pertenece al proveedor {medio.proveedor_id}")
    await require_ref(session, Proveedor, values["proveedor_id"], "proveedor_id")
    if values.get("campana_id") is not None:
        campana = await require_ref(session, Campana, values["campana_id"], "campana_id")
        if campana.cliente_id != values["cliente_id"]:
            raise _invalid("campana_id", f"la campaña {campana.id} es de otro cliente")
    if values.get("contrato_id") is not None:
        await require_ref(session, Contrato, values["contrato_id"], "contrato_id")
    check_range(
        values.get("fecha_inicio"), values.get("fecha_fin"), start_field="fecha_inicio", end_field="fecha_fin"
    )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}.", details=[ErrorDetail(field, message)])


async def _lines(session: AsyncSession, medio_id: int, rows: list[dict[str, Any]]) -> list[OrdenItem]:
    """Priced lines. A line naming a `tarifa_id` of the medio's rate card takes the card's unit cost
    and price unless the line states its own (a negotiated discount)."""
    lines = []
    for index, row in enumerate(rows):
        tarifa = await _tarifa(session, medio_id, row.get("tarifa_id"), index)
        costo_unitario = _unit(row, "costo_unitario", tarifa, index)
        precio_unitario = _unit(row, "precio_unitario", tarifa, index)
        cantidad: Decimal = row["cantidad"]
        importe, costo = line_amount(cantidad, precio_unitario), line_amount(cantidad, costo_unitario)
        if max(importe, costo) > MAX_AMOUNT:
            raise _invalid(f"items.{index}.cantidad", f"la partida excede el importe máximo ({MAX_AMOUNT})")
        lines.append(
            OrdenItem(
                posicion=index + 1,
                descripcion=row.get("descripcion") or (tarifa.concepto if tarifa else f"Partida {index + 1}"),
                tarifa_id=tarifa.id if tarifa else None,
                cantidad=cantidad,
                costo_unitario=costo_unitario,
                precio_unitario=precio_unitario,
                importe=importe,
                costo=costo,
            )
        )
    return lines


async def _tarifa(session: AsyncSession, medio_id: int, tarifa_id: int | None, index: int) -> Tarifa | None:
    if tarifa_id is None:
        return None
    tarifa = await session.scalar(select(Tarifa).where(Tarifa.id == tarifa_id, Tarifa.medio_id == medio_id))
    if tarifa is None:
        raise _invalid(
            f"items.{index}.tarifa_id", f"el medio {medio_id} no tiene una tarifa con id {tarifa_id}"
        )
    return tarifa


def _unit(row: dict[str, Any], name: str, tarifa: Tarifa | None, index: int) -> Decimal:
    value: Decimal | None = row.get(name)
    if value is None and tarifa is not None:
        value = getattr(tarifa, name)
    if value is None:
        raise _invalid(f"items.{index}.{name}", "requerido cuando la partida no indica tarifa_id")
    return value


def _set_lines(orden: Orden, lines: list[OrdenItem]) -> None:
    total = sum((line.importe for line in lines), Decimal("0.00"))
    costo = sum((line.costo for line in lines), Decimal("0.00"))
    if max(total, costo) > MAX_AMOUNT:
        raise _invalid("items", f"la orden excede el importe máximo ({MAX_AMOUNT})")
    orden.items, orden.total, orden.costo = lines, total, costo


def _view(orden: Orden) -> dict[str, Any]:
    view = snapshot(orden)
    view["items"] = lines_snapshot(
        orden.items, ["descripcion", "cantidad", "costo_unitario", "precio_unitario"]
    )
    return view


async def create_orden(session: AsyncSession, actor: Principal, fields: dict[str, Any]) -> Orden:
    """A new order, always `pendiente`; its totals are the sums of its priced lines."""
    values = dict(fields)
    item_rows = values.pop("items")
    await _parties(session, values)
    values["fecha"] = values.get("fecha") or utcnow().date()
    orden = Orden(**values, estado=PENDIENTE, created_by=actor.id, items=[])
    _set_lines(orden, await _lines(session, values["medio_id"], item_rows))
    session.add(orden)
    await session.flush()
    audit(
        session,
        actor,
        action="orden.created",
        entity_type="orden",
        entity_id=orden.id,
        before=None,
        after=_view(orden),
    )
    events.orden_creada(session, orden)
    return await get_orden(session, orden.id)


async def update_orden(
    session: AsyncSession, actor: Principal, orden_id: int, fields: dict[str, Any]
) -> Orden:
    """Partial update. Parties and lines change only while the order is editable; `estado` moves
    only along the allowed transitions. Both are checked before anything is written."""
    orden = await get_orden(session, orden_id, lock=True)
    before, previous = _view(orden), orden.estado
    values = dict(fields)
    for name in LOCKED_FIELDS:
        if name in values and (name == "items" or values[name] != getattr(orden, name)):
            check_editable(previous, name)
    target = values.pop("estado", None)
    if target is not None:
        check_transition(previous, target)
    item_rows = values.pop("items", None)
    merged = {**snapshot(orden), **values}
    if "medio_id" in values and "proveedor_id" not in values:
        merged["proveedor_id"] = None  # derive it again from the new medio
    await _parties(session, merged)
    values["proveedor_id"] = merged["proveedor_id"]
    apply_fields(orden, values)
    if item_rows is not None:
        _set_lines(orden, await _lines(session, orden.medio_id, item_rows))
    if target is not None:
        orden.estado = target
    await session.flush()
    changes = audit(
        session,
        actor,
        action="orden.updated",
        entity_type="orden",
        entity_id=orden.id,
        before=before,
        after=_view(orden),
    )
    if changes:
        events.orden_actualizada(session, orden, estado_anterior=previous, cambios=changes)
    return await get_orden(session, orden.id)
