"""Campañas: a client's budget over a date range, that orders are placed against."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.media import events
from nexo.media.common import apply_fields, audit, check_range, delete_row, get_or_404, require_ref, snapshot
from nexo.media.models import Agencia, Campana, Cliente


def campanas_query(
    *,
    cliente_id: int | None = None,
    status: str | None = None,
    agencia_id: int | None = None,
    fecha_desde: date | None = None,
    fecha_hasta: date | None = None,
    search: str | None = None,
) -> Select[Any]:
    """Campaigns, newest first; the date filters keep those whose dates overlap the range."""
    check_range(fecha_desde, fecha_hasta, start_field="fecha_desde", end_field="fecha_hasta")
    statement = select(Campana).order_by(Campana.fecha_inicio.desc(), Campana.id.desc())
    if cliente_id is not None:
        statement = statement.where(Campana.cliente_id == cliente_id)
    if agencia_id is not None:
        statement = statement.where(Campana.agencia_id == agencia_id)
    if status:
        statement = statement.where(Campana.status == status)
    if fecha_desde is not None:
        statement = statement.where(Campana.fecha_fin >= fecha_desde)
    if fecha_hasta is not None:
        statement = statement.where(Campana.fecha_inicio <= fecha_hasta)
    if search and search.strip():
        statement = statement.where(
            func.lower(Campana.nombre).contains(search.strip().lower(), autoescape=True)
        )
    return statement


async def get_campana(session: AsyncSession, campana_id: int) -> Campana:
    return await get_or_404(session, Campana, campana_id, "una campaña")


async def _check(session: AsyncSession, values: dict[str, Any]) -> None:
    await require_ref(session, Cliente, values["cliente_id"], "cliente_id")
    if values.get("agencia_id") is not None:
        await require_ref(session, Agencia, values["agencia_id"], "agencia_id")
    check_range(
        values["fecha_inicio"], values["fecha_fin"], start_field="fecha_inicio", end_field="fecha_fin"
    )


async def create_campana(session: AsyncSession, actor: Principal, fields: dict[str, Any]) -> Campana:
    await _check(session, fields)
    campana = Campana(**fields, created_by=actor.id)
    session.add(campana)
    await session.flush()
    audit(
        session,
        actor,
        action="campana.created",
        entity_type="campana",
        entity_id=campana.id,
        before=None,
        after=snapshot(campana),
    )
    events.campana_creada(session, campana)
    return campana


async def update_campana(
    session: AsyncSession, actor: Principal, campana_id: int, fields: dict[str, Any]
) -> Campana:
    campana = await get_campana(session, campana_id)
    before = snapshot(campana)
    await _check(session, {**before, **fields})
    apply_fields(campana, fields)
    await session.flush()
    changes = audit(
        session,
        actor,
        action="campana.updated",
        entity_type="campana",
        entity_id=campana.id,
        before=before,
        after=snapshot(campana),
    )
    if changes:
        events.campana_actualizada(session, campana, cambios=changes)
    return campana


async def delete_campana(session: AsyncSession, actor: Principal, campana_id: int) -> None:
    campana = await get_campana(session, campana_id)
    await delete_row(
        session,
        actor,
        campana,
        entity_type="campana",
        in_use="No se puede eliminar una campaña con órdenes; cámbiala a status 'cancelada'.",
    )
