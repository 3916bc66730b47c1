"""Dunning (collections spec §8): templates, reminders (202, sent by a job), history, open pixel."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import AfterValidator, EmailStr, Field

from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import CamelStrictBody
from nexo.core.pagination import PageParams, page_params
from nexo.core.tenancy import allow_all_tenants
from nexo.receivables import jobs as _jobs  # noqa: F401 - registers the sending job in this process
from nexo.receivables import reminders, templates
from nexo.receivables.calendar import current_organization
from nexo.receivables.models import Plantilla
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import CobranzaReader, CobranzaSender, CobranzaWriter
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso

router = surface_router(prefix="/cobranza", tags=["Cobranza"])
# The open-tracking pixel is fetched by mail clients, with no credential: its token identifies it.
tracking = surface_router(prefix="/cobranza", tags=["Cobranza"], include_in_schema=False)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _plantilla(template: Plantilla, usada_en: int) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "nombre": template.nombre,
        "asunto": template.asunto,
        "cuerpo": template.cuerpo,
        "variables": templates.used_variables(template),
        "activa": template.activa,
        "usadaEn": usada_en,
    }


@router.get("/plantillas", response_class=MoneyJSONResponse, summary="List templates")
async def list_plantillas(principal: CobranzaReader, session: SessionDep) -> MoneyJSONResponse:
    usages = await templates.list_templates(session)
    return MoneyJSONResponse({"data": [_plantilla(u.plantilla, u.usada_en) for u in usages]})


class PlantillaBody(CamelStrictBody):
    nombre: str = Field(min_length=1, max_length=200)
    asunto: str = Field(min_length=1, max_length=500)
    cuerpo: str = Field(min_length=1, max_length=20_000)
    activa: bool = True


class PlantillaPatch(CamelStrictBody):
    nombre: str | None = Field(default=None, min_length=1, max_length=200)
    asunto: str | None = Field(default=None, min_length=1, max_length=500)
    cuerpo: str | None = Field(default=None, min_length=1, max_length=20_000)
    activa: bool | None = None


@router.post("/plantillas", status_code=201, response_class=MoneyJSONResponse, summary="Create a template")
async def create_plantilla(
    body: PlantillaBody, principal: CobranzaWriter, session: SessionDep
) -> MoneyJSONResponse:
    template = await templates.create_template(
        session,
        actor=principal,
        nombre=body.nombre,
        asunto=body.asunto,
        cuerpo=body.cuerpo,
        activa=body.activa,
    )
    return MoneyJSONResponse(_plantilla(template, 0), status_code=201)


@router.patch("/plantillas/{plantilla_id}", response_class=MoneyJSONResponse, summary="Update a template")
async def update_plantilla(
    plantilla_id: uuid.UUID, body: PlantillaPatch, principal: CobranzaWriter, session: SessionDep
) -> MoneyJSONResponse:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    template = await templates.update_template(
        session, actor=principal, template_id=plantilla_id, changes=changes
    )
    usage = {u.plantilla.id: u.usada_en for u in await templates.list_templates(session)}
    return MoneyJSONResponse(_plantilla(template, usage.get(template.id, 0)))


class Destinatario(CamelStrictBody):
    email: EmailStr
    nombre: str | None = Field(default=None, max_length=200)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2025-12-22T15:30:00Z")
    return value


class RecordatorioBody(CamelStrictBody):
    cliente_id: uuid.UUID
    plantilla_id: uuid.UUID
    destinatarios: list[Destinatario] = Field(default_factory=list, max_length=20)
    facturas_incluir: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    programar_para: Annotated[datetime | None, AfterValidator(_aware)] = None
    notas: str | None = Field(default=None, max_length=2000)


@router.post("/recordatorios", status_code=202, response_class=MoneyJSONResponse, summary="Send a reminder")
async def send_recordatorio(
    body: RecordatorioBody, principal: CobranzaSender, session: SessionDep
) -> MoneyJSONResponse:
    org = await current_organization(session)
    request = reminders.ReminderRequest(
        cliente_id=body.cliente_id,
        plantilla_id=body.plantilla_id,
        destinatarios=[reminders.Recipient(str(d.email), d.nombre) for d in body.destinatarios],
        facturas=body.facturas_incluir,
        programar_para=body.programar_para,
        notas=body.notas,
    )
    reminder = await reminders.request_reminder(session, org, actor=principal, request=request)
    # An estimate: the worker usually sends within seconds of the due time.
    estimate = (reminder.scheduled_for or reminder.created_at) + timedelta(minutes=1)
    return MoneyJSONResponse(
        {
            "id": str(reminder.id),
            "status": "queued",
            "scheduledFor": iso(reminder.scheduled_for),
            "estimatedDelivery": iso(estimate),
        },
        status_code=202,
    )


@router.get("/historial", response_class=MoneyJSONResponse, summary="Dunning history")
async def historial(
    principal: CobranzaReader,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    cliente_id: Annotated[uuid.UUID | None, Query(alias="clienteId")] = None,
    desde: Annotated[date | None, Query()] = None,
    hasta: Annotated[date | None, Query()] = None,
    status: Annotated[str | None, Query(description="queued, sent, delivered, failed")] = None,
) -> MoneyJSONResponse:
    org = await current_organization(session)
    filters = reminders.HistoryFilters(cliente_id=cliente_id, desde=desde, hasta=hasta, status=status)
    page = await reminders.history(session, org, filters, params)
    data = [
        {
            "id": str(envio.id),
            "recordatorioId": str(envio.recordatorio_id),
            "tipo": "email",
            "cliente": {"id": str(envio.cliente_id), "nombre": cliente},
            "destinatario": envio.destinatario,
            "asunto": envio.asunto,
            "plantilla": plantilla,
            "enviadoPor": {"id": sender_id, "nombre": sender_name},
            "fechaEnvio": iso(envio.sent_at),
            "status": envio.status,
            "abierto": envio.opened_at is not None,
            "fechaApertura": iso(envio.opened_at),
        }
        for envio, cliente, plantilla, sender_id, sender_name in page.items
    ]
    meta = {"page": page.page, "limit": page.limit, "total": page.total, "totalPages": page.pages}
    return MoneyJSONResponse({"data": data, "meta": meta})


@tracking.get("/tracking/{token}.gif")
async def open_pixel(token: str, runtime: RuntimeDep) -> Response:
    """Record the open in a transaction of its own (a GET's session is read-only on SQLite) and
    answer the same 1×1 GIF whether or not the token is known, so it reveals nothing."""
    if 16 <= len(token) <= 64:
        async with runtime.database.transaction() as session:
            allow_all_tenants(session, reason="the tracking pixel finds its delivery by unguessable token")
            await reminders.record_open(session, token)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store, max-age=0"})
