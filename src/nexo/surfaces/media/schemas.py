"""Wire shapes of the parties and the catalog: clientes, agencias, proveedores, medios (with their
rate cards) and contratos. `…In` creates, `…Patch` changes what it sends, `…Out` answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import EmailStr, Field

from nexo.core.http.schemas import StrictBody, WireModel
from nexo.surfaces.media.wire import (
    NOT_NULL,
    IdIn,
    MoneyIn,
    MoneyOut,
    Name,
    PartyStatus,
    PctIn,
    PctOut,
    Phone,
    Rfc,
    Text,
)

TipoMedio = Literal["tv", "radio", "prensa", "digital", "exterior"]
TipoContrato = Literal["cliente", "proveedor"]
StatusContrato = Literal["borrador", "vigente", "vencido", "cancelado"]


# --- clientes, agencias, proveedores -------------------------------------------------------------


class _ContactIn(StrictBody):
    rfc: Rfc | None = None
    email: EmailStr | None = None
    telefono: Phone | None = Field(None, description="E.164, e.g. +5215512345678")
    contacto: Name | None = None
    status: PartyStatus = "activo"


class _ContactPatch(StrictBody):
    rfc: Rfc | None = None
    email: EmailStr | None = None
    telefono: Phone | None = None
    contacto: Name | None = None
    status: Annotated[PartyStatus | None, NOT_NULL] = None


class ClienteIn(_ContactIn):
    nombre: Name
    razon_social: Name | None = None
    industria: Annotated[str, Field(max_length=100)] | None = None
    notas: Text | None = None


class ClientePatch(_ContactPatch):
    nombre: Annotated[Name | None, NOT_NULL] = None
    razon_social: Name | None = None
    industria: Annotated[str, Field(max_length=100)] | None = None
    notas: Text | None = None


class _PartyOut(WireModel):
    id: int
    nombre: str
    rfc: str | None
    email: str | None
    telefono: str | None
    contacto: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class ClienteOut(_PartyOut):
    razon_social: str | None
    industria: str | None
    notas: str | None
    rentabilidad_promedio: PctOut = Field(
        None, description="Margin over revenue of the client's committed orders, in percent."
    )


class AgenciaIn(_ContactIn):
    nombre: Name
    comision_pct: PctIn = Decimal("0")


class AgenciaPatch(_ContactPatch):
    nombre: Annotated[Name | None, NOT_NULL] = None
    comision_pct: Annotated[PctIn | None, NOT_NULL] = None


class AgenciaOut(_PartyOut):
    comision_pct: MoneyOut


class ProveedorIn(_ContactIn):
    nombre: Name
    razon_social: Name | None = None


class ProveedorPatch(_ContactPatch):
    nombre: Annotated[Name | None, NOT_NULL] = None
    razon_social: Name | None = None


class ProveedorOut(_PartyOut):
    razon_social: str | None


# --- medios and rate cards -----------------------------------------------------------------------


class TarifaIn(StrictBody):
    concepto: Name
    unidad: Annotated[str, Field(min_length=1, max_length=50, examples=["spot 20s"])]
    costo_unitario: MoneyIn
    precio_unitario: MoneyIn
    vigente_desde: date | None = None
    vigente_hasta: date | None = None


class TarifaOut(WireModel):
    id: int
    concepto: str
    unidad: str
    costo_unitario: MoneyOut
    precio_unitario: MoneyOut
    vigente_desde: date | None
    vigente_hasta: date | None


class MedioIn(StrictBody):
    nombre: Name
    tipo: TipoMedio
    proveedor_id: IdIn | None = None
    cobertura: Annotated[str, Field(max_length=100)] | None = None
    descripcion: Text | None = None
    status: PartyStatus = "activo"
    tarifas: list[TarifaIn] = Field(default_factory=list, max_length=200)


class MedioPatch(StrictBody):
    nombre: Annotated[Name | None, NOT_NULL] = None
    tipo: Annotated[TipoMedio | None, NOT_NULL] = None
    proveedor_id: IdIn | None = None
    cobertura: Annotated[str, Field(max_length=100)] | None = None
    descripcion: Text | None = None
    status: Annotated[PartyStatus | None, NOT_NULL] = None
    tarifas: Annotated[list[TarifaIn] | None, NOT_NULL, Field(max_length=200)] = None


class MedioOut(WireModel):
    id: int
    nombre: str
    tipo: str
    proveedor_id: int | None
    cobertura: str | None
    descripcion: str | None
    status: str
    tarifas: list[TarifaOut]
    created_at: datetime
    updated_at: datetime


# --- contratos -----------------------------------------------------------------------------------


class ContratoIn(StrictBody):
    folio: Annotated[str, Field(min_length=1, max_length=50)]
    tipo: TipoContrato
    cliente_id: IdIn | None = None
    proveedor_id: IdIn | None = None
    descripcion: Text | None = None
    fecha_inicio: date
    fecha_fin: date
    monto: MoneyIn
    status: StatusContrato = "borrador"


class ContratoPatch(StrictBody):
    folio: Annotated[str | None, NOT_NULL, Field(min_length=1, max_length=50)] = None
    tipo: Annotated[TipoContrato | None, NOT_NULL] = None
    cliente_id: IdIn | None = None
    proveedor_id: IdIn | None = None
    descripcion: Text | None = None
    fecha_inicio: Annotated[date | None, NOT_NULL] = None
    fecha_fin: Annotated[date | None, NOT_NULL] = None
    monto: Annotated[MoneyIn | None, NOT_NULL] = None
    status: Annotated[StatusContrato | None, NOT_NULL] = None


class ContratoOut(WireModel):
    id: int
    folio: str
    tipo: str
    cliente_id: int | None
    proveedor_id: int | None
    descripcion: str | None
    fecha_inicio: date
    fecha_fin: date
    monto: MoneyOut
    status: str
    created_at: datetime
    updated_at: datetime
