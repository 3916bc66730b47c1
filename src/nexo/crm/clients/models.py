"""Client tables.

- `crm_clients`: one row per phone number per tenant (E.164, unique). `search_text` holds the folded
  name, email and phone digits (see `nexo.crm.text`), indexed for substring search: a pg_trgm GIN
  index on `(tenant_id, search_text)` on PostgreSQL, an FTS5 trigram table (`crm_clients_fts`, kept
  in step by triggers, created by the migration) on SQLite.
- `crm_client_tags`: tags, one row each, so a tag filter is an indexed lookup.
- `crm_client_totals`: the exact number of clients per tenant, kept in the same transaction as every
  insert and delete, so an unfiltered list answers `total` without counting the tenant's rows.
- `crm_client_imports` / `crm_client_import_segments`: CSV imports run as jobs; the uploaded rows are
  staged in segments so a worker on any machine can read them and resume after a crash.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import Money, UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned

LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
FTS_TABLE = "crm_clients_fts"


class Client(TenantOwned, Timestamped, Base):
    __tablename__ = "crm_clients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "phone_number"),
        Index("ix_crm_clients_tenant_id_id", "tenant_id", "id"),
        Index("ix_crm_clients_tenant_id_lead_status", "tenant_id", "lead_status"),
        Index("ix_crm_clients_tenant_id_segment", "tenant_id", "segment"),
        # Trigram index for `search_text LIKE '%…%'` on PostgreSQL, led by the tenant (btree_gin) so
        # one index scan finds one tenant's matches: no other tenant's rows to recheck, and no
        # BitmapAnd with a tenant index in the generic plans of prepared statements (migration 0012).
        # On SQLite the FTS5 table does that job, so the index is declared partial on an always-false
        # condition there: it stays empty.
        Index(
            "ix_crm_clients_tenant_id_search_text_trgm",
            "tenant_id",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    company: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    lead_status: Mapped[str] = mapped_column(String(16), default="new")
    lead_score: Mapped[int] = mapped_column(Integer, default=0)
    ltv: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    total_purchases: Mapped[int] = mapped_column(Integer, default=0)
    last_purchase_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    segment: Mapped[str | None] = mapped_column(String(50))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    total_chats: Mapped[int] = mapped_column(Integer, default=0)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_text: Mapped[str] = mapped_column(Text, default="")


class ClientTag(TenantOwned, Base):
    __tablename__ = "crm_client_tags"
    __table_args__ = (
        UniqueConstraint("client_id", "tag"),
        Index("ix_crm_client_tags_tenant_id_tag", "tenant_id", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("crm_clients.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(50))


class ClientTotal(TenantOwned, Base):
    """`clients` = the tenant's exact number of clients (see module docstring)."""

    __tablename__ = "crm_client_totals"

    tenant_id: Mapped[int] = mapped_column(  # one row per tenant
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    clients: Mapped[int] = mapped_column(Integer, default=0)


class ClientImport(TenantOwned, Base):
    __tablename__ = "crm_client_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    on_duplicate: Mapped[str] = mapped_column(String(8), default="skip")  # skip | update
    filename: Mapped[str | None] = mapped_column(String(255))
    encoding: Mapped[str] = mapped_column(String(16))
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    rows_processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the first N, with rows
    next_segment: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ClientImportSegment(TenantOwned, Base):
    """A run of parsed CSV rows, `[[row_number, [cells…]], …]`; deleted once processed."""

    __tablename__ = "crm_client_import_segments"
    __table_args__ = (UniqueConstraint("import_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("crm_client_imports.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
