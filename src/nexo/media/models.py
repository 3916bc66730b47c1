"""Media agency tables: the parties (clientes, agencias, proveedores), the catalog (medios and their
rate cards), contratos, campañas and ordenes with their line items. Every row belongs to a tenant.

Amounts are `Money()` columns (integer cents), so `SUM()` in a report is exact on SQLite and
PostgreSQL alike. An order keeps its totals (`total`, `costo`) next to its lines, written in the same
transaction, so reports read one row per order instead of re-adding lines; `margen` is derived.
Creators are recorded as principal id strings: media rows do not depend on the users table.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import Money, ScaledDecimal
from nexo.core.tenancy import TenantOwned

NAME = 200
SHORT = 32
PRINCIPAL_ID = 64


class Cliente(TenantOwned, Timestamped, Base):
    """An advertiser the agency buys media for."""

    __tablename__ = "media_clientes"
    __table_args__ = (Index("ix_media_clientes_tenant_nombre", "tenant_id", "nombre"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nombre: Mapped[str] = mapped_column(String(NAME))
    razon_social: Mapped[str | None] = mapped_column(String(NAME))
    rfc: Mapped[str | None] = mapped_column(String(13))
    email: Mapped[str | None] = mapped_column(String(254))
    telefono: Mapped[str | None] = mapped_column(String(SHORT))
    contacto: Mapped[str | None] = mapped_column(String(NAME))
    industria: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="activo")
    notas: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))


class Agencia(TenantOwned, Timestamped, Base):
    """An agency of the tenant's group (or a partner agency) that campaigns are run through."""

    __tablename__ = "media_agencias"

    id: Mapped[int] = mapped_column(primary_key=True)
    nombre: Mapped[str] = mapped_column(String(NAME))
    rfc: Mapped[str | None] = mapped_column(String(13))
    email: Mapped[str | None] = mapped_column(String(254))
    telefono: Mapped[str | None] = mapped_column(String(SHORT))
    contacto: Mapped[str | None] = mapped_column(String(NAME))
    comision_pct: Mapped[Decimal] = mapped_column(ScaledDecimal(2), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(16), default="activo")
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))


class Proveedor(TenantOwned, Timestamped, Base):
    """A media owner or reseller the agency buys space from."""

    __tablename__ = "media_proveedores"

    id: Mapped[int] = mapped_column(primary_key=True)
    nombre: Mapped[str] = mapped_column(String(NAME))
    razon_social: Mapped[str | None] = mapped_column(String(NAME))
    rfc: Mapped[str | None] = mapped_column(String(13))
    email: Mapped[str | None] = mapped_column(String(254))
    telefono: Mapped[str | None] = mapped_column(String(SHORT))
    contacto: Mapped[str | None] = mapped_column(String(NAME))
    status: Mapped[str] = mapped_column(String(16), default="activo")
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))


class Medio(TenantOwned, Timestamped, Base):
    """A catalog entry: a channel, station, publication, site or billboard network."""

    __tablename__ = "media_medios"

    id: Mapped[int] = mapped_column(primary_key=True)
    nombre: Mapped[str] = mapped_column(String(NAME))
    tipo: Mapped[str] = mapped_column(String(16), index=True)
    proveedor_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_proveedores.id", ondelete="RESTRICT"), index=True
    )
    cobertura: Mapped[str | None] = mapped_column(String(100))
    descripcion: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="activo")
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))

    # Targets are named by callables, not strings: other domains also have a `Cliente` class.
    tarifas: Mapped[list[Tarifa]] = relationship(
        lambda: Tarifa,
        back_populates="medio",
        cascade="all, delete-orphan",
        order_by=lambda: Tarifa.id,
        lazy="raise",
        passive_deletes=True,
    )


class Tarifa(TenantOwned, Base):
    """One line of a medio's rate card: what a unit (a 20" spot, a page, a thousand impressions)
    costs the agency and what it is sold at."""

    __tablename__ = "media_tarifas"

    id: Mapped[int] = mapped_column(primary_key=True)
    medio_id: Mapped[int] = mapped_column(ForeignKey("media_medios.id", ondelete="CASCADE"), index=True)
    concepto: Mapped[str] = mapped_column(String(NAME))
    unidad: Mapped[str] = mapped_column(String(50))
    costo_unitario: Mapped[Decimal] = mapped_column(Money())
    precio_unitario: Mapped[Decimal] = mapped_column(Money())
    vigente_desde: Mapped[date | None] = mapped_column(Date)
    vigente_hasta: Mapped[date | None] = mapped_column(Date)

    medio: Mapped[Medio] = relationship(Medio, back_populates="tarifas", lazy="raise")


class Contrato(TenantOwned, Timestamped, Base):
    """An agreement with a client (an annual investment commitment) or a supplier (a media deal)."""

    __tablename__ = "media_contratos"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(50))
    tipo: Mapped[str] = mapped_column(String(16))  # "cliente" | "proveedor"
    cliente_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_clientes.id", ondelete="RESTRICT"), index=True
    )
    proveedor_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_proveedores.id", ondelete="RESTRICT"), index=True
    )
    descripcion: Mapped[str | None] = mapped_column(Text)
    fecha_inicio: Mapped[date] = mapped_column(Date)
    fecha_fin: Mapped[date] = mapped_column(Date)
    monto: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16), default="borrador")
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))


class Campana(TenantOwned, Timestamped, Base):
    """A client's campaign: a budget over a date range that orders are placed against."""

    __tablename__ = "media_campanas"

    id: Mapped[int] = mapped_column(primary_key=True)
    cliente_id: Mapped[int] = mapped_column(ForeignKey("media_clientes.id", ondelete="RESTRICT"), index=True)
    agencia_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_agencias.id", ondelete="RESTRICT"), index=True
    )
    nombre: Mapped[str] = mapped_column(String(NAME))
    objetivo: Mapped[str | None] = mapped_column(Text)
    fecha_inicio: Mapped[date] = mapped_column(Date)
    fecha_fin: Mapped[date] = mapped_column(Date)
    presupuesto: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16), default="planeada")
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))


class Orden(TenantOwned, Timestamped, Base):
    """A purchase order for space on one medio, for one client, optionally within a campaign."""

    __tablename__ = "media_ordenes"
    __table_args__ = (Index("ix_media_ordenes_tenant_fecha", "tenant_id", "fecha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cliente_id: Mapped[int] = mapped_column(ForeignKey("media_clientes.id", ondelete="RESTRICT"), index=True)
    campana_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_campanas.id", ondelete="RESTRICT"), index=True
    )
    proveedor_id: Mapped[int] = mapped_column(
        ForeignKey("media_proveedores.id", ondelete="RESTRICT"), index=True
    )
    medio_id: Mapped[int] = mapped_column(ForeignKey("media_medios.id", ondelete="RESTRICT"), index=True)
    contrato_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_contratos.id", ondelete="SET NULL"), index=True
    )
    fecha: Mapped[date] = mapped_column(Date)  # the order's date: filters and report periods use it
    fecha_inicio: Mapped[date | None] = mapped_column(Date)  # flight dates
    fecha_fin: Mapped[date | None] = mapped_column(Date)
    estado: Mapped[str] = mapped_column(String(16), default="pendiente", index=True)
    descripcion: Mapped[str | None] = mapped_column(Text)
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))  # what the client pays
    costo: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))  # what the supplier is paid
    factura_folio: Mapped[str | None] = mapped_column(String(50))
    motivo_cancelacion: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(PRINCIPAL_ID))

    # Read-only views of the parties, loaded on purpose (`selectinload`) for the wire's summaries.
    cliente: Mapped[Cliente] = relationship(Cliente, viewonly=True, lazy="raise")
    medio: Mapped[Medio] = relationship(Medio, viewonly=True, lazy="raise")
    items: Mapped[list[OrdenItem]] = relationship(
        lambda: OrdenItem,
        back_populates="orden",
        cascade="all, delete-orphan",
        order_by=lambda: OrdenItem.posicion,
        lazy="raise",
        passive_deletes=True,
    )

    @property
    def margen(self) -> Decimal:
        return self.total - self.costo


class OrdenItem(TenantOwned, Base):
    """One line of an order. `importe` and `costo` are the line's amounts rounded to the cent, stored
    so that the order's totals are exactly the sum of what each line shows."""

    __tablename__ = "media_orden_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    orden_id: Mapped[int] = mapped_column(ForeignKey("media_ordenes.id", ondelete="CASCADE"), index=True)
    posicion: Mapped[int] = mapped_column(Integer)
    descripcion: Mapped[str] = mapped_column(String(NAME))
    tarifa_id: Mapped[int | None] = mapped_column(ForeignKey("media_tarifas.id", ondelete="SET NULL"))
    cantidad: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    costo_unitario: Mapped[Decimal] = mapped_column(Money())
    precio_unitario: Mapped[Decimal] = mapped_column(Money())
    importe: Mapped[Decimal] = mapped_column(Money())
    costo: Mapped[Decimal] = mapped_column(Money())

    orden: Mapped[Orden] = relationship(Orden, back_populates="items", lazy="raise")
