"""Dunning templates (collections spec §8.1–8.2): `{variable}` placeholders, checked when saved.

Variables: `{cliente}` client name, `{empresa}` the organization's name, `{monto}` the balance of the
invoices included, `{dias}` the most days overdue among them, `{facturas}` one line per invoice. Any
other `{name}` is refused with a 400 naming it, so a typo never reaches a debtor's inbox.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import Changes, diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.receivables.models import Plantilla, Recordatorio

VARIABLES: tuple[str, ...] = ("cliente", "empresa", "monto", "dias", "facturas")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def variables_in(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def check_placeholders(fields: Mapping[str, str]) -> None:
    problems = [
        ErrorDetail(field, f"unknown variable {{{name}}}; use {', '.join('{' + v + '}' for v in VARIABLES)}")
        for field, text in fields.items()
        for name in variables_in(text)
        if name not in VARIABLES
    ]
    if problems:
        raise ValidationFailed(
            f"{problems[0].field}: {problems[0].message}", details=problems, code="UNKNOWN_VARIABLE"
        )


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders; the text was checked when saved, so every name is known."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def used_variables(template: Plantilla) -> list[str]:
    found = set(variables_in(template.asunto)) | set(variables_in(template.cuerpo))
    return [name for name in VARIABLES if name in found]


@dataclass(frozen=True, slots=True)
class TemplateUsage:
    plantilla: Plantilla
    usada_en: int  # reminders sent with it


async def list_templates(session: AsyncSession) -> list[TemplateUsage]:
    usage = (
        select(Recordatorio.plantilla_id, func.count().label("uses"))
        .group_by(Recordatorio.plantilla_id)
        .subquery()
    )
    rows = await session.execute(
        select(Plantilla, func.coalesce(usage.c.uses, 0))
        .outerjoin(usage, usage.c.plantilla_id == Plantilla.id)
        .order_by(Plantilla.nombre, Plantilla.id)
    )
    return [TemplateUsage(plantilla, int(uses)) for plantilla, uses in rows.tuples()]


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> Plantilla:
    template = await session.get(Plantilla, template_id)
    if template is None:
        raise NotFound("No template with this id.")
    return template


def _audit(
    session: AsyncSession, actor: Principal, action: str, template: Plantilla, changes: Changes
) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="dunning_template",
        entity_id=str(template.id),
        changes=changes,
    )


async def create_template(
    session: AsyncSession, *, actor: Principal, nombre: str, asunto: str, cuerpo: str, activa: bool
) -> Plantilla:
    check_placeholders({"asunto": asunto, "cuerpo": cuerpo})
    template = Plantilla(id=uuid.uuid4(), nombre=nombre, asunto=asunto, cuerpo=cuerpo, activa=activa)
    session.add(template)
    await session.flush()
    _audit(session, actor, "dunning_template.created", template, diff_changes({}, {"nombre": nombre}))
    return template


async def update_template(
    session: AsyncSession, *, actor: Principal, template_id: uuid.UUID, changes: Mapping[str, object]
) -> Plantilla:
    template = await get_template(session, template_id)
    texts = {field: str(changes.get(field, getattr(template, field))) for field in ("asunto", "cuerpo")}
    check_placeholders(texts)
    before = {field: getattr(template, field) for field in changes}
    for field, value in changes.items():
        setattr(template, field, value)
    await session.flush()
    _audit(session, actor, "dunning_template.updated", template, diff_changes(before, dict(changes)))
    return template
