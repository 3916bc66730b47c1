"""The media catalog (medios and their rate cards) and contratos."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from nexo.core.auth.principal import Principal
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.media.common import (
    apply_fields,
    audit,
    check_range,
    delete_row,
    get_or_404,
    lines_snapshot,
    require_ref,
    snapshot,
)
from nexo.media.models import Cliente, Contrato, Medio, Proveedor, Tarifa

# --- medios -------------------------------------------------------------------------------------


def medios_query(
    *,
    tipo: str | None = None,
    proveedor_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
) -> Select[Any]:
    statement = select(Medio).options(selectinload(Medio.tarifas)).order_by(Medio.nombre, Medio.id)
    if tipo:
        statement = statement.where(Medio.tipo == tipo)
    if proveedor_id is not None:
        statement = statement.where(Medio.proveedor_id == proveedor_id)
    if status:
        statement = statement.where(Medio.status == status)
    if search and search.strip():
        statement = statement.where(
            func.lower(Medio.nombre).contains(search.strip().lower(), autoescape=True)
        )
    return statement


async def get_medio(session: AsyncSession, medio_id: int) -> Medio:
    medio = await session.scalar(
        select(Medio).options(selectinload(Medio.tarifas)).where(Medio.id == medio_id)
    )
    if medio is None:
        raise NotFound(f"No existe un medio con id {medio_id}.")
    return medio


def _tarifas(rows: list[dict[str, Any]]) -> list[Tarifa]:
    for index, row in enumerate(rows):
        check_range(
            row.get("vigente_desde"),
            row.get("vigente_hasta"),
            start_field=f"tarifas.{index}.vigente_desde",
            end_field=f"tarifas.{index}.vigente_hasta",
        )
    return [Tarifa(**row) for row in rows]


def _medio_view(medio: Medio) -> dict[str, Any]:
    view = snapshot(medio)
    view["tarifas"] = lines_snapshot(
        medio.tarifas, ["concepto", "unidad", "costo_unitario", "precio_unitario"]
    )
    return view


async def create_medio(session: AsyncSession, actor: Principal, fields: dict[str, Any]) -> Medio:
    tarifas = _tarifas(fields.pop("tarifas", None) or [])
    if fields.get("proveedor_id") is not None:
        await require_ref(session, Proveedor, fields["proveedor_id"], "proveedor_id")
    medio = Medio(**fields, created_by=actor.id, tarifas=tarifas)
    session.add(medio)
    await session.flush()
    audit(
        session,
        actor,
        action="medio.created",
        entity_type="medio",
        entity_id=medio.id,
        before=None,
        after=_medio_view(medio),
    )
    return medio


async def update_medio(
    session: AsyncSession, actor: Principal, medio_id: int, fields: dict[str, Any]
) -> Medio:
    """Partial update; `tarifas`, when sent, replaces the whole rate card."""
    medio = await get_medio(session, medio_id)
    before = _medio_view(medio)
    if "tarifas" in fields:
        medio.tarifas = _tarifas(fields.pop("tarifas") or [])
    if fields.get("proveedor_id") is not None:
        await require_ref(session, Proveedor, fields["proveedor_id"], "proveedor_id")
    apply_fields(medio, fields)
    await session.flush()
    audit(
        session,
        actor,
        action="medio.updated",
        entity_type="medio",
        entity_id=medio.id,
        before=before,
        after=_medio_view(medio),
    )
    return medio


async def delete_medio(session: AsyncSession, actor: Principal, medio_id: int) -> None:
    medio = await get_or_404(session, Medio, medio_id, "un medio")
    await delete_row(
        session,
        actor,
        medio,
        entity_type="medio",
        in_use="No se puede eliminar un medio con órdenes; cámbialo a status 'inactivo'.",
    )


# --- contratos ----------------------------------------------------------------------------------


def contratos_query(
    *,
    tipo: str | None = None,
    status: str | None = None,
    cliente_id: int | None = None,
    proveedor_id: int | None = None,
    vigente_en: date | None = None,
) -> Select[Any]:
    statement = select(Contrato).order_by(Contrato.fecha_inicio.desc(), Contrato.id.desc())
    if tipo:
        statement = statement.where(Contrato.tipo == tipo)
    if status:
        statement = statement.where(Contrato.status == status)
    if cliente_id is not None:
        statement = statement.where(Contrato.cliente_id == cliente_id)
    if proveedor_id is not None:
        statement = statement.where(Contrato.proveedor_id == proveedor_id)
    if vigente_en is not None:
        statement = statement.where(Contrato.fecha_inicio <= vigente_en, Contrato.fecha_fin >= vigente_en)
    return statement


async def get_contrato(session: AsyncSession, contrato_id: int) -> Contrato:
    return await get_or_404(session, Contrato, contrato_id, "un contrato")


async def _check_contrato(session: AsyncSession, values: dict[str, Any]) -> None:
    """A client contract names a client and no supplier; a supplier contract the reverse."""
    own, other = (
        ("cliente_id", "proveedor_id") if values["tipo"] == "cliente" else ("proveedor_id", "cliente_id")
    )
    if values.get(own) is None:
        raise ValidationFailed(
            f"{own}: un contrato de tipo '{values['tipo']}' lo requiere.",
            details=[ErrorDetail(own, f"requerido para contratos de tipo '{values['tipo']}'")],
        )
    if values.get(other) is not None:
        raise ValidationFailed(
            f"{other}: un contrato de tipo '{values['tipo']}' no lo admite.",
            details=[ErrorDetail(other, f"debe ser null en contratos de tipo '{values['tipo']}'")],
        )
    model = Cliente if own == "cliente_id" else Proveedor
    await require_ref(session, model, values[own], own)
    check_range(
        values["fecha_inicio"], values["fecha_fin"], start_field="fecha_inicio", end_field="fecha_fin"
    )


async def create_contrato(session: AsyncSession, actor: Principal, fields: dict[str, Any]) -> Contrato:
    await _check_contrato(session, fields)
    contrato = Contrato(**fields, created_by=actor.id)
    session.add(contrato)
    await session.flush()
    audit(
        session,
        actor,
        action="contrato.created",
        entity_type="contrato",
        entity_id=contrato.id,
        before=None,
        after=snapshot(contrato),
    )
    return contrato


async def update_contrato(
    session: AsyncSession, actor: Principal, contrato_id: int, fields: dict[str, Any]
) -> Contrato:
    contrato = await get_or_404(session, Contrato, contrato_id, "un contrato")
    before = snapshot(contrato)
    await _check_contrato(session, {**before, **fields})
    apply_fields(contrato, fields)
    await session.flush()
    audit(
        session,
        actor,
        action="contrato.updated",
        entity_type="contrato",
        entity_id=contrato.id,
        before=before,
        after=snapshot(contrato),
    )
    return contrato


async def delete_contrato(session: AsyncSession, actor: Principal, contrato_id: int) -> None:
    contrato = await get_or_404(session, Contrato, contrato_id, "un contrato")
    await delete_row(session, actor, contrato, entity_type="contrato", in_use="El contrato está en uso.")
