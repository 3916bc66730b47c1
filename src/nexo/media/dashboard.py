"""The dashboard: one call with the figures an agency's home screen shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.media import reports
from nexo.media.figures import ZERO
from nexo.media.models import Campana, Cliente
from nexo.media.transitions import ESTADOS

TOP = 5


async def dashboard(session: AsyncSession, rango: reports.Range) -> dict[str, Any]:
    """Totals, orders per state, active clients and campaigns, top clients and media, monthly series.
    Amounts are Decimal; the surface renders them."""
    por_cliente = await reports.rentabilidad(session, rango, agrupar_por="cliente")
    por_medio = await reports.rentabilidad(session, rango, agrupar_por="medio")
    por_mes = await reports.rentabilidad(session, rango, agrupar_por="periodo")
    return {
        "totales": por_cliente.totales,
        "ordenes_por_estado": await _por_estado(session, rango),
        "clientes_activos": await _count(
            session, select(func.count(Cliente.id)).where(Cliente.status == "activo")
        ),
        "campanas_activas": await _count(
            session, select(func.count(Campana.id)).where(Campana.status == "activa")
        ),
        "top_clientes": _top(por_cliente.rows),
        "top_medios": _top(por_medio.rows),
        "por_periodo": [
            {key: row[key] for key in ("clave", "ordenes", "ingresos", "costo", "margen", "margen_pct")}
            for row in por_mes.rows
        ],
    }


async def _por_estado(session: AsyncSession, rango: reports.Range) -> dict[str, dict[str, Any]]:
    found = {estado: {"ordenes": 0, "total": ZERO} for estado in ESTADOS}
    for estado, ordenes, total in await session.execute(reports.estados_query(rango)):
        found[estado] = {"ordenes": ordenes, "total": total}
    return found


async def _count(session: AsyncSession, statement: Any) -> int:
    return int((await session.execute(statement)).scalar_one())


def _top(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ranked = sorted(rows, key=lambda row: (-row["ingresos"], str(row["clave"])))[:TOP]
    return [
        {key: row[key] for key in ("clave", "nombre", "ordenes", "ingresos", "margen", "margen_pct")}
        for row in ranked
    ]
