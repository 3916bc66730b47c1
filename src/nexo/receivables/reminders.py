"""Dunning reminders (collections spec §8.3–8.4): render, queue, send over SMTP, track opens.

A reminder is rendered when it is requested (the text a debtor gets is the text of that moment) and
gets one delivery per recipient. Each delivery is a job (`cobranza.enviar`), due at once or at
`programarPara`. Status of a delivery (docs/collections.md, "Reminders"):

    queued → sent       the SMTP relay accepted the message (250)
    sent → delivered    the recipient's mail client loaded the open-tracking pixel: proof of delivery
    queued → failed     the relay refused it for good (5xx), or temporary failures (4xx, no connection)
                        persisted for MAX_ATTEMPTS tries
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.core.events import emit
from nexo.core.jobs import Reschedule, clock, enqueue
from nexo.core.pagination import Page, PageParams, paginate
from nexo.core.tenancy import scope_to_tenant
from nexo.identity.models import User
from nexo.integrations.smtp import SmtpFailure, SmtpSender
from nexo.receivables.calendar import Organization, zone
from nexo.receivables.cartera import days_overdue
from nexo.receivables.models import OPEN, Cliente, Contacto, Envio, Factura, Plantilla, Recordatorio
from nexo.receivables.templates import get_template, render

SEND_JOB = "cobranza.enviar"
MAX_ATTEMPTS = 5
STATUSES = ("queued", "sent", "delivered", "failed")
PIXEL_PATH = "/collections/v1/cobranza/tracking/{token}.gif"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    nombre: str | None = None


def money_text(amount: Decimal, currency: str) -> str:
    return f"${amount:,.2f} {currency}"


async def _invoices(session: AsyncSession, cliente: Cliente, ids: Sequence[uuid.UUID]) -> list[Factura]:
    query = select(Factura).where(Factura.cliente_id == cliente.id, Factura.status == OPEN)
    if ids:
        query = query.where(Factura.id.in_(list(ids)))
    found = list(await session.scalars(query.order_by(Factura.vencimiento, Factura.folio)))
    missing = set(ids) - {factura.id for factura in found}
    if missing:
        raise ValidationFailed(
            "Some invoices are not open invoices of this client.",
            details=[
                ErrorDetail(
                    "facturasIncluir", f"not an open invoice of the client: {sorted(map(str, missing))[0]}"
                )
            ],
        )
    return found


def context(org: Organization, cliente: Cliente, facturas: Sequence[Factura]) -> dict[str, str]:
    today = org.today_number
    total = sum((factura.saldo for factura in facturas), Decimal("0.00"))
    lines = [
        f"- {f.folio}: vence {f.vencimiento.isoformat()}, saldo {money_text(f.saldo, org.currency)}"
        f" ({days_overdue(f, today)} días vencida)"
        for f in facturas
    ]
    return {
        "cliente": cliente.nombre,
        "empresa": org.nombre,
        "monto": money_text(total, org.currency),
        "dias": str(max((days_overdue(f, today) for f in facturas), default=0)),
        "facturas": "\n".join(lines),
    }


async def _recipients(session: AsyncSession, cliente: Cliente, given: Sequence[Recipient]) -> list[Recipient]:
    if given:
        return list(given)
    principal = await session.scalar(
        select(Contacto)
        .where(Contacto.cliente_id == cliente.id, Contacto.email.is_not(None))
        .order_by(Contacto.principal.desc(), Contacto.position)
        .limit(1)
    )
    if principal is None or not principal.email:
        raise ValidationFailed(
            "The client has no contact with an e-mail; send `destinatarios`.",
            details=[ErrorDetail("destinatarios", "required: the client has no e-mail contact")],
        )
    return [Recipient(principal.email, principal.nombre)]


async def _sender_identity(session: AsyncSession, actor: Principal) -> tuple[str | None, str | None]:
    if actor.kind != "user" or not actor.id.isdigit():
        return actor.id, None
    user = await session.scalar(select(User).where(User.id == int(actor.id)))
    return (str(user.public_id), user.full_name) if user is not None else (actor.id, None)


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    cliente_id: uuid.UUID
    plantilla_id: uuid.UUID
    destinatarios: Sequence[Recipient]
    facturas: Sequence[uuid.UUID]
    programar_para: datetime | None
    notas: str | None


async def request_reminder(
    session: AsyncSession, org: Organization, *, actor: Principal, request: ReminderRequest
) -> Recordatorio:
    cliente = await session.get(Cliente, request.cliente_id)
    if cliente is None:
        raise NotFound("No client with this id.", details=[ErrorDetail("clienteId", "unknown client")])
    plantilla = await get_template(session, request.plantilla_id)
    if not plantilla.activa:
        raise ValidationFailed(
            "The template is not active.", details=[ErrorDetail("plantillaId", "inactive")]
        )
    now = clock.now()
    if request.programar_para is not None and request.programar_para < now - timedelta(minutes=1):
        raise ValidationFailed(
            "programarPara is in the past.", details=[ErrorDetail("programarPara", "in the past")]
        )
    facturas = await _invoices(session, cliente, request.facturas)
    recipients = await _recipients(session, cliente, request.destinatarios)
    values = context(org, cliente, facturas)
    sender_id, sender_name = await _sender_identity(session, actor)
    reminder = Recordatorio(
        id=uuid.uuid4(),
        cliente_id=cliente.id,
        plantilla_id=plantilla.id,
        factura_ids=[str(f.id) for f in facturas],
        notas=request.notas,
        created_by=sender_id,
        created_by_name=sender_name,
        created_at=now,
        scheduled_for=request.programar_para,
    )
    session.add(reminder)
    await session.flush()
    for recipient in recipients:
        await _queue_delivery(session, org, reminder, plantilla, recipient, values)
    kind, actor_id = actor.audit_actor()
    record_audit(
        session, actor_type=kind, actor_id=actor_id, action="reminder.requested",
        entity_type="dunning_reminder", entity_id=str(reminder.id),
    )  # fmt: skip
    return reminder


async def _queue_delivery(
    session: AsyncSession,
    org: Organization,
    reminder: Recordatorio,
    plantilla: Plantilla,
    recipient: Recipient,
    values: dict[str, str],
) -> None:
    envio = Envio(
        id=uuid.uuid4(),
        recordatorio_id=reminder.id,
        cliente_id=reminder.cliente_id,
        destinatario=recipient.email,
        destinatario_nombre=recipient.nombre,
        asunto=render(plantilla.asunto, values).replace("\n", " ")[:1000],
        cuerpo=render(plantilla.cuerpo, values),
        status="queued",
        tracking_token=secrets.token_urlsafe(24),
        created_at=reminder.created_at,
    )
    session.add(envio)
    await session.flush()
    payload = {"envio_id": str(envio.id), "tenant_id": org.tenant_id}
    await enqueue(
        session, SEND_JOB, payload, due_at=reminder.scheduled_for, dedupe_key=f"{SEND_JOB}:{envio.id}"
    )


# --- sending ------------------------------------------------------------------------------------


def build_message(envio: Envio, *, sender: str, base_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((envio.destinatario_nombre or "", envio.destinatario))
    message["Subject"] = envio.asunto
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["X-Nexo-Envio"] = str(envio.id)
    message.set_content(envio.cuerpo)
    pixel = base_url.rstrip("/") + PIXEL_PATH.format(token=envio.tracking_token)
    html = escape(envio.cuerpo).replace("\n", "<br>\n")
    message.add_alternative(
        f'<html><body><p>{html}</p><img src="{pixel}" width="1" height="1" alt=""></body></html>',
        subtype="html",
    )
    return message


def retry_after(attempts: int) -> timedelta:
    return timedelta(seconds=30 * 2 ** max(attempts - 1, 0))


async def send_delivery(
    session: AsyncSession, payload: dict[str, Any], *, smtp: SmtpSender, base_url: str
) -> Reschedule | None:
    """Job body: send one delivery. A plain function so that tests call it with their own relay."""
    scope_to_tenant(session, int(payload["tenant_id"]))
    envio = await session.get(Envio, uuid.UUID(str(payload["envio_id"])))
    if envio is None or envio.status != "queued":
        return None  # deleted with its client, or already handled by an earlier run
    envio.attempts += 1
    try:
        await smtp.send(build_message(envio, sender=smtp.config.sender, base_url=base_url))
    except SmtpFailure as failure:
        envio.error = str(failure)[:2000]
        if failure.permanent or envio.attempts >= MAX_ATTEMPTS:
            envio.status = "failed"
            return None
        return Reschedule(at=clock.now() + retry_after(envio.attempts))
    envio.status, envio.sent_at, envio.error = "sent", clock.now(), None
    reminder = await session.get(Recordatorio, envio.recordatorio_id)
    emit(
        session,
        name="recordatorio.enviado",
        tenant_id=envio.tenant_id,
        payload={
            "recordatorioId": str(envio.recordatorio_id),
            "envioId": str(envio.id),
            "clienteId": str(envio.cliente_id),
            "plantillaId": str(reminder.plantilla_id) if reminder else None,
            "canal": "email",
            "destinatario": envio.destinatario,
        },
    )
    return None


async def record_open(session: AsyncSession, token: str) -> bool:
    """The pixel of `token` was loaded: first time sets `opened_at`; a sent delivery becomes
    delivered. Returns whether the token is known. The session may see every tenant (the pixel
    request carries no credential; the unguessable token is what identifies the delivery)."""
    envio = await session.scalar(select(Envio).where(Envio.tracking_token == token))
    if envio is None:
        return False
    if envio.opened_at is None:
        envio.opened_at = clock.now()
    if envio.status in {"queued", "sent"}:
        envio.status = "delivered"
        envio.sent_at = envio.sent_at or envio.opened_at
    return True


# --- history -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryFilters:
    cliente_id: uuid.UUID | None = None
    desde: date | None = None
    hasta: date | None = None
    status: str | None = None


def _day_bounds(org: Organization, day: date, *, end: bool) -> datetime:
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=zone(org.timezone))


def _history_query(org: Organization, filters: HistoryFilters) -> Select[Any]:
    if filters.status is not None and filters.status not in STATUSES:
        raise ValidationFailed(
            f"Unknown status {filters.status!r}.",
            details=[ErrorDetail("status", f"one of {', '.join(STATUSES)}")],
        )
    query = (
        select(Envio, Cliente.nombre, Plantilla.nombre, Recordatorio.created_by, Recordatorio.created_by_name)
        .join(Recordatorio, Recordatorio.id == Envio.recordatorio_id)
        .join(Cliente, Cliente.id == Envio.cliente_id)
        .join(Plantilla, Plantilla.id == Recordatorio.plantilla_id)
    )
    sent_or_created = func.coalesce(Envio.sent_at, Envio.created_at)
    if filters.cliente_id is not None:
        query = query.where(Envio.cliente_id == filters.cliente_id)
    if filters.status is not None:
        query = query.where(Envio.status == filters.status)
    if filters.desde is not None:
        query = query.where(sent_or_created >= _day_bounds(org, filters.desde, end=False))
    if filters.hasta is not None:
        query = query.where(sent_or_created < _day_bounds(org, filters.hasta, end=True))
    return query.order_by(Envio.created_at.desc(), Envio.id)


async def history(
    session: AsyncSession, org: Organization, filters: HistoryFilters, params: PageParams
) -> Page[Any]:
    if filters.desde and filters.hasta and filters.desde > filters.hasta:
        raise ValidationFailed(
            "`desde` is after `hasta`.", details=[ErrorDetail("desde", "must not be after hasta")]
        )
    return await paginate(session, _history_query(org, filters), params)
