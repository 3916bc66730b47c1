"""`/reportes/*` and `/analytics/dashboard`: figures computed in SQL by `nexo.media.reports`.

Each report answers `{"data": [rows], "totales": {...}, "filtros": {...}}`, or streams its rows as
CSV with `?format=csv`. Amounts and percentages are two-decimal strings.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from nexo.core.http.deps import SessionDep
from nexo.media import dashboard, reports
from nexo.surfaces.base import surface_router
from nexo.surfaces.media.auth import ReadAnalytics, ReadReportes
from nexo.surfaces.media.order_schemas import Estado
from nexo.surfaces.media.wire import ReportFormat, csv_response, plain

router = surface_router(prefix="/reportes", tags=["reportes"])
analytics = surface_router(prefix="/analytics", tags=["analytics"])


async def report_range(
    fecha_desde: Annotated[date | None, Query(description="Fecha de orden desde (incluida).")] = None,
    fecha_hasta: Annotated[date | None, Query(description="Fecha de orden hasta (incluida).")] = None,
    estado: Annotated[
        Estado | None, Query(description="Solo órdenes en este estado (por defecto: las comprometidas).")
    ] = None,
) -> reports.Range:
    return reports.Range(fecha_desde=fecha_desde, fecha_hasta=fecha_hasta, estado=estado)


RangeDep = Annotated[reports.Range, Depends(report_range)]


def _answer(name: str, report: reports.Report, rango: reports.Range, fmt: str, **extra: Any) -> Any:
    if fmt == "csv":
        return csv_response(name, report.columns, report.rows)
    filtros = {
        "fecha_desde": rango.fecha_desde,
        "fecha_hasta": rango.fecha_hasta,
        "estado": rango.estado,
        **extra,
    }
    return {"data": plain(report.rows), "totales": plain(report.totales), "filtros": plain(filtros)}


ReportResponses: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or CSV with format=csv",
    }
}


@router.get("/rentabilidad", summary="Análisis de rentabilidad", responses=ReportResponses)
async def rentabilidad(
    session: SessionDep,
    principal: ReadReportes,
    rango: RangeDep,
    agrupar_por: Literal["cliente", "campana", "medio", "periodo"] = "cliente",
    format: ReportFormat = "json",
) -> Any:
    report = await reports.rentabilidad(session, rango, agrupar_por=agrupar_por)
    return _answer(f"rentabilidad-{agrupar_por}", report, rango, format, agrupar_por=agrupar_por)


@router.get("/inversion", summary="Reportes de inversión", responses=ReportResponses)
async def inversion(
    session: SessionDep,
    principal: ReadReportes,
    rango: RangeDep,
    agrupar_por: Literal["medio", "proveedor", "tipo_medio", "periodo"] = "medio",
    format: ReportFormat = "json",
) -> Any:
    report = await reports.inversion(session, rango, agrupar_por=agrupar_por)
    return _answer(f"inversion-{agrupar_por}", report, rango, format, agrupar_por=agrupar_por)


@router.get("/clientes", summary="KPIs por cliente", responses=ReportResponses)
async def clientes(
    session: SessionDep, principal: ReadReportes, rango: RangeDep, format: ReportFormat = "json"
) -> Any:
    return _answer("clientes", await reports.clientes(session, rango), rango, format)


@router.get("/medios", summary="Performance por medio", responses=ReportResponses)
async def medios(
    session: SessionDep, principal: ReadReportes, rango: RangeDep, format: ReportFormat = "json"
) -> Any:
    return _answer("medios", await reports.medios(session, rango), rango, format)


@analytics.get("/dashboard", summary="Métricas para dashboard", responses=ReportResponses)
async def tablero(
    session: SessionDep, principal: ReadAnalytics, rango: RangeDep, format: ReportFormat = "json"
) -> Any:
    figures = await dashboard.dashboard(session, rango)
    if format == "csv":
        return _dashboard_csv(figures)
    filtros = {"fecha_desde": rango.fecha_desde, "fecha_hasta": rango.fecha_hasta, "estado": rango.estado}
    return {"data": plain(figures), "filtros": plain(filtros)}


def _dashboard_csv(figures: dict[str, Any]) -> StreamingResponse:
    """The dashboard flattened to `metrica,valor` lines (nested keys joined with dots)."""
    rows = [{"metrica": key, "valor": value} for key, value in _flatten("", figures)]
    return csv_response("dashboard", ["metrica", "valor"], rows)


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(f"{prefix}{key}.", item)]
    if isinstance(value, list):
        return [pair for index, item in enumerate(value) for pair in _flatten(f"{prefix}{index}.", item)]
    return [(prefix.rstrip("."), value)]
