"""Profitability and spend reports, computed in SQL.

Every amount is a `SUM()` over integer cents (see `Money()`), so totals are exact on both databases;
only the percentages are derived afterwards, in Decimal, from those exact sums (`figures`).
Reports count committed orders — aprobada, en_ejecucion, completada, facturada — unless the caller
asks for one `estado`; dates filter on the order's `fecha`, both ends inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.errors import ErrorDetail, ValidationFailed
from nexo.media.common import check_range
from nexo.media.figures import ZERO, average, margin_pct, pct
from nexo.media.models import Campana, Cliente, Medio, Orden, Proveedor
from nexo.media.sql import year_month
from nexo.media.transitions import COMMITTED, ESTADOS


@dataclass(frozen=True, slots=True)
class Range:
    fecha_desde: date | None = None
    fecha_hasta: date | None = None
    estado: str | None = None

    def __post_init__(self) -> None:
        check_range(self.fecha_desde, self.fecha_hasta, start_field="fecha_desde", end_field="fecha_hasta")

    def conditions(self, *, by_estado: bool = True) -> list[ColumnElement[bool]]:
        """Conditions on `Orden`; `by_estado=False` keeps every state (the dashboard's breakdown)."""
        estados = (self.estado,) if self.estado else COMMITTED
        found: list[ColumnElement[bool]] = [Orden.estado.in_(estados)] if by_estado else []
        if self.fecha_desde is not None:
            found.append(Orden.fecha >= self.fecha_desde)
        if self.fecha_hasta is not None:
            found.append(Orden.fecha <= self.fecha_hasta)
        return found


@dataclass(slots=True)
class Report:
    """Rows with the same keys as `columns`, plus the totals over all of them."""

    columns: list[str]
    rows: list[dict[str, Any]]
    totales: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dimension:
    key: Any  # a column or SQL expression
    label: Any
    join: tuple[Any, ColumnElement[bool]] | None = None
    outer: bool = False


DIMENSIONS: Final[dict[str, Dimension]] = {
    "cliente": Dimension(Orden.cliente_id, Cliente.nombre, (Cliente, Cliente.id == Orden.cliente_id)),
    "campana": Dimension(
        Orden.campana_id, Campana.nombre, (Campana, Campana.id == Orden.campana_id), outer=True
    ),
    "medio": Dimension(Orden.medio_id, Medio.nombre, (Medio, Medio.id == Orden.medio_id)),
    "tipo_medio": Dimension(Medio.tipo, Medio.tipo, (Medio, Medio.id == Orden.medio_id)),
    "proveedor": Dimension(
        Orden.proveedor_id, Proveedor.nombre, (Proveedor, Proveedor.id == Orden.proveedor_id)
    ),
    "periodo": Dimension(year_month(Orden.fecha), year_month(Orden.fecha)),
}
RENTABILIDAD_GROUPS: Final = ("cliente", "campana", "medio", "periodo")
INVERSION_GROUPS: Final = ("medio", "proveedor", "tipo_medio", "periodo")


def _dimension(name: str, allowed: tuple[str, ...]) -> Dimension:
    if name not in allowed:
        raise ValidationFailed(
            f"agrupar_por: '{name}' no es una agrupación de este reporte.",
            details=[ErrorDetail("agrupar_por", f"uno de: {', '.join(allowed)}")],
        )
    return DIMENSIONS[name]


def _grouped(dimension: Dimension, rango: Range, *measures: ColumnElement[Any]) -> Select[Any]:
    statement = select(dimension.key.label("clave"), dimension.label.label("nombre"), *measures)
    if dimension.join is not None:
        target, on = dimension.join
        statement = statement.select_from(Orden).join(target, on, isouter=dimension.outer)
    statement = statement.where(*rango.conditions())
    return statement.group_by(dimension.key, dimension.label).order_by(dimension.key)


def money_sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), literal(0, column.type))


def _profit(ingresos: Decimal, costo: Decimal) -> dict[str, Any]:
    return {
        "ingresos": ingresos,
        "costo": costo,
        "margen": ingresos - costo,
        "margen_pct": margin_pct(ingresos, costo),
    }


async def rentabilidad(session: AsyncSession, rango: Range, *, agrupar_por: str = "cliente") -> Report:
    """Revenue − cost and margin % by client, campaign, medio or month."""
    dimension = _dimension(agrupar_por, RENTABILIDAD_GROUPS)
    statement = _grouped(
        dimension,
        rango,
        func.count(Orden.id).label("ordenes"),
        money_sum(Orden.total),
        money_sum(Orden.costo),
    )
    rows = []
    for clave, nombre, ordenes, ingresos, costo in await session.execute(statement):
        rows.append(
            {
                "clave": clave,
                "nombre": nombre or _unnamed(agrupar_por),
                "ordenes": ordenes,
                **_profit(ingresos, costo),
            }
        )
    ordenes_total = sum(row["ordenes"] for row in rows)
    totales = {"ordenes": ordenes_total, **_profit(_sum(rows, "ingresos"), _sum(rows, "costo"))}
    columns = ["clave", "nombre", "ordenes", "ingresos", "costo", "margen", "margen_pct"]
    return Report(columns, rows, totales)


async def inversion(session: AsyncSession, rango: Range, *, agrupar_por: str = "medio") -> Report:
    """Spend (what suppliers are paid) by medio, supplier, media type or month, with each row's share."""
    dimension = _dimension(agrupar_por, INVERSION_GROUPS)
    statement = _grouped(dimension, rango, func.count(Orden.id), money_sum(Orden.costo))
    rows = [
        {"clave": clave, "nombre": nombre or _unnamed(agrupar_por), "ordenes": ordenes, "inversion": costo}
        for clave, nombre, ordenes, costo in await session.execute(statement)
    ]
    total = _sum(rows, "inversion")
    for row in rows:
        row["participacion_pct"] = pct(row["inversion"], total)
    totales = {"ordenes": sum(row["ordenes"] for row in rows), "inversion": total}
    return Report(["clave", "nombre", "ordenes", "inversion", "participacion_pct"], rows, totales)


async def clientes(session: AsyncSession, rango: Range) -> Report:
    """KPIs per client, every client included (those without orders in the range show zeros)."""
    statement = (
        select(
            Cliente.id,
            Cliente.nombre,
            Cliente.status,
            func.count(Orden.id),
            func.count(func.distinct(Orden.campana_id)),
            money_sum(Orden.total),
            money_sum(Orden.costo),
            func.max(Orden.fecha),
        )
        .select_from(Cliente)
        .outerjoin(Orden, (Orden.cliente_id == Cliente.id) & _all(rango.conditions()))
        .group_by(Cliente.id, Cliente.nombre, Cliente.status)
        .order_by(Cliente.nombre, Cliente.id)
    )
    rows = []
    for cliente_id, nombre, status, ordenes, campanas, ingresos, costo, ultima in await session.execute(
        statement
    ):
        ticket = average(ingresos, ordenes)
        rows.append(
            {
                "cliente_id": cliente_id,
                "nombre": nombre,
                "status": status,
                "ordenes": ordenes,
                "campanas": campanas,
                **_profit(ingresos, costo),
                "ticket_promedio": ticket,
                "ultima_orden": ultima,
            }
        )
    totales = {
        "ordenes": sum(r["ordenes"] for r in rows),
        **_profit(_sum(rows, "ingresos"), _sum(rows, "costo")),
    }
    columns = [
        "cliente_id",
        "nombre",
        "status",
        "ordenes",
        "campanas",
        "ingresos",
        "costo",
        "margen",
        "margen_pct",
        "ticket_promedio",
        "ultima_orden",
    ]
    return Report(columns, rows, totales)


async def medios(session: AsyncSession, rango: Range) -> Report:
    """Performance per medio: orders, distinct clients, revenue, cost, margin and share of revenue."""
    statement = (
        select(
            Medio.id,
            Medio.nombre,
            Medio.tipo,
            Proveedor.nombre,
            func.count(Orden.id),
            func.count(func.distinct(Orden.cliente_id)),
            money_sum(Orden.total),
            money_sum(Orden.costo),
        )
        .select_from(Medio)
        .outerjoin(Proveedor, Proveedor.id == Medio.proveedor_id)
        .outerjoin(Orden, (Orden.medio_id == Medio.id) & _all(rango.conditions()))
        .group_by(Medio.id, Medio.nombre, Medio.tipo, Proveedor.nombre)
        .order_by(Medio.nombre, Medio.id)
    )
    rows = [
        {
            "medio_id": medio_id,
            "nombre": nombre,
            "tipo": tipo,
            "proveedor": proveedor,
            "ordenes": ordenes,
            "clientes": clientes_count,
            **_profit(ingresos, costo),
        }
        for medio_id, nombre, tipo, proveedor, ordenes, clientes_count, ingresos, costo in (
            await session.execute(statement)
        )
    ]
    total = _sum(rows, "ingresos")
    for row in rows:
        row["participacion_pct"] = pct(row["ingresos"], total)
    totales = {"ordenes": sum(r["ordenes"] for r in rows), **_profit(total, _sum(rows, "costo"))}
    columns = [
        "medio_id",
        "nombre",
        "tipo",
        "proveedor",
        "ordenes",
        "clientes",
        "ingresos",
        "costo",
        "margen",
        "margen_pct",
        "participacion_pct",
    ]
    return Report(columns, rows, totales)


def estados_query(rango: Range) -> Select[Any]:
    """Orders and their value per state in the date range (every state, cancelled included)."""
    statement = select(Orden.estado, func.count(Orden.id), money_sum(Orden.total)).group_by(Orden.estado)
    return statement.where(*rango.conditions(by_estado=False))


def known_estado(value: str | None) -> str | None:
    if value is not None and value not in ESTADOS:
        raise ValidationFailed(
            f"estado: '{value}' no es un estado de orden.",
            details=[ErrorDetail("estado", f"uno de: {', '.join(ESTADOS)}")],
        )
    return value


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition
    return combined


def _sum(rows: list[dict[str, Any]], key: str) -> Decimal:
    return sum((row[key] for row in rows), ZERO)


def _unnamed(dimension: str) -> str | None:
    return "Sin campaña" if dimension == "campana" else None
