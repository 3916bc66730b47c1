"""Receivables tables: the portfolio the connectors push (clients, contacts, invoices), the record of
each sync, daily totals for month-on-month variation, connector liveness and queued commands, and
the dunning side (templates, reminders and one delivery per recipient).

Invoices keep `vencimiento_dia` (days since 1970-01-01) next to the date: aging buckets and days
overdue are then integer arithmetic that reads the same on SQLite and PostgreSQL and uses an index.
Money columns are `Money()` (integer cents), so `SUM()` is exact on both databases.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import Money, UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned

HASH_LENGTH = 64
OPEN, PAID = "abierta", "pagada"  # invoice lifecycle: open while it has a balance, paid once closed


class Cliente(TenantOwned, Timestamped, Base):
    """A debtor of one empresa (the ERP company a connector reads), keyed by its ERP `clave`."""

    __tablename__ = "receivable_clients"
    __table_args__ = (UniqueConstraint("tenant_id", "empresa_id", "clave"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    empresa_id: Mapped[str] = mapped_column(String(32))
    clave: Mapped[str] = mapped_column(String(64))
    nombre: Mapped[str] = mapped_column(String(300))
    rfc: Mapped[str | None] = mapped_column(String(13))
    direccion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ultimo_pago: Mapped[date | None] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class Contacto(TenantOwned, Base):
    __tablename__ = "receivable_contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    cliente_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receivable_clients.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    nombre: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    telefono: Mapped[str | None] = mapped_column(String(40))
    principal: Mapped[bool] = mapped_column(Boolean, default=False)


class Factura(TenantOwned, Timestamped, Base):
    __tablename__ = "receivable_invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "empresa_id", "folio"),
        # The aging, summary and overdue queries: open invoices of a tenant (and empresa) by due day;
        # on PostgreSQL `saldo` and `fecha` ride along, so the aging is an index-only scan (0011).
        Index(
            "ix_receivable_invoices_open_aging",
            "tenant_id",
            "empresa_id",
            "vencimiento_dia",
            postgresql_include=["saldo", "fecha"],
            postgresql_where=text("status = 'abierta'"),
            sqlite_where=text("status = 'abierta'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    empresa_id: Mapped[str] = mapped_column(String(32))
    cliente_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receivable_clients.id", ondelete="CASCADE"), index=True
    )
    folio: Mapped[str] = mapped_column(String(64))
    fecha: Mapped[date] = mapped_column(Date)
    vencimiento: Mapped[date] = mapped_column(Date)
    vencimiento_dia: Mapped[int] = mapped_column(Integer)  # days since 1970-01-01
    total: Mapped[Decimal] = mapped_column(Money())
    saldo: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_notified: Mapped[bool] = mapped_column(Boolean, default=False)  # factura.vencida emitted
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class SyncRun(TenantOwned, Base):
    """One `POST /sync/cartera`, successful or not (failures are written after the rollback)."""

    __tablename__ = "receivable_sync_runs"
    __table_args__ = (Index("ix_receivable_sync_runs_empresa", "tenant_id", "empresa_id", "processed_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "sync_<hex>", the spec's syncId
    connector_id: Mapped[uuid.UUID] = mapped_column(Uuid(), index=True)
    empresa_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # completado | fallido
    full_snapshot: Mapped[bool] = mapped_column(Boolean, default=True)
    checksum: Mapped[str] = mapped_column(String(HASH_LENGTH))
    stats: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the connector's timestamp
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CarteraSnapshot(TenantOwned, Base):
    """The empresa's totals as of a day (organization time), rewritten by each sync of that day;
    `variacion` compares today's totals with the snapshot of a month before."""

    __tablename__ = "receivable_snapshots"
    __table_args__ = (UniqueConstraint("tenant_id", "empresa_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    empresa_id: Mapped[str] = mapped_column(String(32))
    taken_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money())
    vencida: Mapped[Decimal] = mapped_column(Money())


class ConnectorState(TenantOwned, Base):
    """Liveness of a connector (one row per connector of `credentials.models.Connector`)."""

    __tablename__ = "connector_states"

    connector_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), primary_key=True
    )
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_status: Mapped[str | None] = mapped_column(String(32))
    last_sync_status: Mapped[str | None] = mapped_column(String(32))
    uptime_seconds: Mapped[int | None] = mapped_column(Integer)
    memory_usage: Mapped[str | None] = mapped_column(String(32))
    empresas_online: Mapped[list[str]] = mapped_column(JSON, default=list)


class ConnectorCommand(TenantOwned, Base):
    """A command waiting for a connector's next heartbeat ("sync now"); handed over once."""

    __tablename__ = "connector_commands"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    connector_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), index=True
    )
    command: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Plantilla(TenantOwned, Timestamped, Base):
    """A dunning e-mail template with `{variable}` placeholders."""

    __tablename__ = "dunning_templates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    nombre: Mapped[str] = mapped_column(String(200))
    asunto: Mapped[str] = mapped_column(String(500))
    cuerpo: Mapped[str] = mapped_column(Text)
    activa: Mapped[bool] = mapped_column(Boolean, default=True)


class Recordatorio(TenantOwned, Base):
    """One reminder request: a template rendered for a client and sent to each recipient."""

    __tablename__ = "dunning_reminders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    cliente_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("receivable_clients.id", ondelete="CASCADE"), index=True
    )
    plantilla_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dunning_templates.id", ondelete="CASCADE"), index=True
    )
    factura_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    notas: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Envio(TenantOwned, Base):
    """The reminder's message to one recipient: rendered text, delivery status, open tracking."""

    __tablename__ = "dunning_deliveries"
    __table_args__ = (Index("ix_dunning_deliveries_cliente", "tenant_id", "cliente_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    recordatorio_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dunning_reminders.id", ondelete="CASCADE"), index=True
    )
    cliente_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("receivable_clients.id", ondelete="CASCADE"))
    destinatario: Mapped[str] = mapped_column(String(320))
    destinatario_nombre: Mapped[str | None] = mapped_column(String(200))
    asunto: Mapped[str] = mapped_column(String(1000))
    cuerpo: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|sent|delivered|failed
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # SMTP conversations tried
    error: Mapped[str | None] = mapped_column(Text)
