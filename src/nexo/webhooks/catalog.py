"""The events each surface's webhooks can carry, as the specs name them.

Each surface has its own catalog, in its spec's language and casing: media and collections in
Spanish (`orden.creada`, `pago.registrado`), tasks and platform in English (`task.created`,
`ticket.message.added`). A subscription may only ask for events of its surface's catalog, and
`emit` refuses names that no catalog lists (see `nexo.core.events`).

The example payloads are the `data` object receivers get; the emitting domain owns the exact
fields and keeps to these names and casing. docs/webhooks.md documents every event (a test checks
that it lists them all).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nexo.core.events import add_event_checker

WEBHOOK_SURFACES = ("media", "collections", "tasks", "platform")

# Operational events the engine itself emits (Svix's "endpoint disabled"), one per surface language.
DISABLED_EVENT = {
    "media": "webhook.deshabilitado",
    "collections": "webhook.deshabilitado",
    "tasks": "webhook.disabled",
    "platform": "webhook.disabled",
}
# The platform handshake's test event: sent to one endpoint, never subscribable.
VERIFICATION_EVENT = "webhook.verification"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    description: str
    example: Mapping[str, Any] = field(default_factory=dict)


def _catalog(*types: EventType) -> dict[str, EventType]:
    return {unicodedata.normalize("NFC", item.name): item for item in types}


_ORDEN = {
    "orden_id": 12345,
    "cliente_id": 678,
    "estado": "pendiente",
    "campaña_id": 55,
    "total": "15000.00",
    "costo": "11200.00",
}
_CLIENTE = {
    "cliente_id": 678,
    "nombre": "Comercializadora del Norte",
    "email": "pagos@norte.mx",
    "status": "activo",
}
_CAMPANA = {
    "campaña_id": 55,
    "cliente_id": 678,
    "nombre": "Verano 2025",
    "estado": "activa",
    "presupuesto": "90000.00",
}

MEDIA = _catalog(
    EventType("orden.creada", "Se creó una orden.", _ORDEN),
    EventType(
        "orden.actualizada",
        "Cambió una orden.",
        {**_ORDEN, "estado": "aprobada", "estado_anterior": "pendiente", "cambios": ["estado"]},
    ),
    EventType("orden.completada", "Una orden quedó completada.", {**_ORDEN, "estado": "completada"}),
    EventType(
        "orden.facturada", "Se facturó una orden.", {**_ORDEN, "estado": "facturada", "factura": "A-1024"}
    ),
    EventType("campaña.creada", "Se creó una campaña.", _CAMPANA),
    EventType("campaña.actualizada", "Cambió una campaña.", {**_CAMPANA, "cambios": ["presupuesto"]}),
    EventType("cliente.creado", "Se dio de alta un cliente.", _CLIENTE),
    EventType("cliente.actualizado", "Cambió un cliente.", {**_CLIENTE, "cambios": ["email"]}),
    EventType("cliente.eliminado", "Se eliminó un cliente.", {"cliente_id": 678}),
    EventType(
        "webhook.deshabilitado",
        "Un webhook quedó deshabilitado (410 Gone o cinco días de fallas).",
        {"webhook_id": 9, "url": "https://erp.example/hooks", "motivo": "the endpoint answered 410 Gone"},
    ),
)

_SYNC = {
    "syncId": "sync_8f2c…",
    "connectorId": "2b9e…",
    "empresaId": "01",
    "processedAt": "2025-12-22T15:15:02Z",
}
_STATS = {
    "clientesActualizados": 150,
    "facturasActualizadas": 820,
    "nuevos": 12,
    "modificados": 40,
    "sinCambios": 918,
    "cerradas": 7,
}

COLLECTIONS = _catalog(
    EventType("sync.completado", "Sincronización exitosa.", {**_SYNC, "stats": _STATS}),
    EventType(
        "sync.fallido",
        "Error en sincronización.",
        {**_SYNC, "error": {"code": "CHECKSUM_MISMATCH", "message": "El checksum no coincide"}},
    ),
    EventType(
        "cliente.vencido",
        "Cliente pasó a vencido.",
        {
            "clienteId": "a41d…",
            "clave": "C-0042",
            "nombre": "Ferretería López",
            "empresaId": "01",
            "saldoVencido": "12500.00",
            "facturas": ["F-2291", "F-2307"],
        },
    ),
    EventType(
        "factura.vencida",
        "Factura venció.",
        {
            "facturaId": "c7e2…",
            "folio": "F-2291",
            "clienteId": "a41d…",
            "clave": "C-0042",
            "empresaId": "01",
            "vencimiento": "2025-12-21",
            "saldo": "4300.00",
        },
    ),
    EventType(
        "recordatorio.enviado",
        "Email de cobranza enviado.",
        {
            "recordatorioId": "d3a0…",
            "envioId": "77c1…",
            "clienteId": "a41d…",
            "plantillaId": "19fb…",
            "canal": "email",
            "destinatario": "cxp@ferreterialopez.mx",
        },
    ),
    EventType(
        "pago.registrado",
        "Se registró un pago.",
        {"pagoId": "e8b4…", "clienteId": "a41d…", "facturaId": "c7e2…", "monto": "1500.00"},
    ),
    EventType(
        "webhook.deshabilitado",
        "Un webhook quedó deshabilitado (410 Gone o cinco días de fallas).",
        {
            "webhookId": "0d5f…",
            "url": "https://erp.example/hooks",
            "motivo": "the endpoint answered 410 Gone",
        },
    ),
)

_TASK = {"id": "task_001", "title": "Visita a Cliente ABC", "status": "pending", "assigned_to": "user_123"}

TASKS = _catalog(
    EventType("task.created", "A task was created.", _TASK),
    EventType("task.updated", "A task changed.", {**_TASK, "status": "in_progress"}),
    EventType("task.completed", "A task was completed.", {**_TASK, "status": "completed"}),
    EventType("task.cancelled", "A task was cancelled.", {**_TASK, "status": "cancelled"}),
    EventType(
        "task.reminder",
        "A task's reminder time has come.",
        {**_TASK, "reminder_date": "2024-01-20T13:00:00Z"},
    ),
    EventType(
        "webhook.disabled",
        "A webhook was disabled (410 Gone, or five days of failures).",
        {
            "webhook_id": "wh_…",
            "url": "https://erp.example/hooks",
            "reason": "the endpoint answered 410 Gone",
        },
    ),
)

_TENANT = {"tenantId": "uuid-del-tenant", "name": "Empresa Cliente", "plan": "Pro", "status": "ACTIVE"}
_TICKET = {"ticketId": "uuid", "tenantId": "uuid", "subject": "No llegan mensajes", "status": "OPEN"}
_LEAD = {"leadId": "uuid", "name": "Ana Ruiz", "email": "ana@ejemplo.com", "stage": "CONTACTED"}
_CONVERSATION = {"conversationId": "uuid", "channel": "whatsapp", "contact": "+5215512345678"}
_MESSAGE = {**_CONVERSATION, "messageId": "uuid", "text": "Hola"}

PLATFORM = _catalog(
    EventType("tenant.created", "Nuevo tenant creado.", _TENANT),
    EventType("tenant.updated", "Tenant actualizado.", _TENANT),
    EventType("tenant.suspended", "Tenant suspendido.", {**_TENANT, "status": "SUSPENDED"}),
    EventType("tenant.reactivated", "Tenant reactivado.", _TENANT),
    EventType("tenant.deleted", "Tenant eliminado.", {"tenantId": "uuid-del-tenant"}),
    EventType("ticket.created", "Nuevo ticket creado.", _TICKET),
    EventType("ticket.updated", "Ticket actualizado.", _TICKET),
    EventType("ticket.closed", "Ticket cerrado.", {**_TICKET, "status": "CLOSED"}),
    EventType(
        "ticket.message.added",
        "Nuevo mensaje en ticket.",
        {"ticketId": "uuid", "messageId": "uuid", "author": "support@nexo.example", "body": "…"},
    ),
    EventType("lead.created", "Nuevo lead creado.", _LEAD),
    EventType("lead.updated", "Lead actualizado.", _LEAD),
    EventType("lead.converted", "Lead convertido.", {**_LEAD, "stage": "WON", "tenantId": "uuid"}),
    EventType(
        "lead.stage.changed", "Etapa del lead cambiada.", {"leadId": "uuid", "from": "NEW", "to": "CONTACTED"}
    ),
    EventType("conversation.started", "Nueva conversación iniciada.", _CONVERSATION),
    EventType("conversation.message.received", "Mensaje recibido.", _MESSAGE),
    EventType("conversation.message.sent", "Mensaje enviado.", _MESSAGE),
    EventType("conversation.ended", "Conversación finalizada.", _CONVERSATION),
    EventType(
        "webhook.disabled",
        "Un webhook quedó deshabilitado (410 Gone o cinco días de fallas).",
        {"webhookId": "uuid", "url": "https://erp.example/hooks", "reason": "the endpoint answered 410 Gone"},
    ),
)

CATALOGS: Mapping[str, Mapping[str, EventType]] = {
    "media": MEDIA,
    "collections": COLLECTIONS,
    "tasks": TASKS,
    "platform": PLATFORM,
}


def catalog(surface: str) -> Mapping[str, EventType]:
    """The surface's events by name; empty for a surface without webhooks."""
    return CATALOGS.get(surface, {})


def surfaces_for(name: str) -> tuple[str, ...]:
    """The surfaces whose catalog lists `name` (an event emitted with `surface=None` reaches them all)."""
    normal = unicodedata.normalize("NFC", name)
    return tuple(surface for surface, events in CATALOGS.items() if normal in events)


def check_event(name: str, surface: str | None) -> str | None:
    """The outbox's name check: the problem with emitting `name` on `surface`, or None."""
    if surface is not None and surface not in CATALOGS:
        return f"surface {surface!r} sends no webhooks; use one of {', '.join(WEBHOOK_SURFACES)}"
    if surface is not None and name not in CATALOGS[surface]:
        return f"{name!r} is not in the {surface} event catalog (nexo.webhooks.catalog)"
    if surface is None and not surfaces_for(name):
        return f"{name!r} is in no event catalog (nexo.webhooks.catalog)"
    return None


add_event_checker(check_event)
