"""Wire shapes of campañas and órdenes. Bodies accept `campaña_id` as well as `campana_id`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, computed_field

from nexo.core.http.schemas import StrictBody, WireModel
from nexo.media.figures import margin_pct
from nexo.surfaces.media.wire import NOT_NULL, IdIn, MoneyIn, MoneyOut, Name, PctOut, QuantityIn, Text

StatusCampana = Literal["planeada", "activa", "pausada", "finalizada", "cancelada"]
Estado = Literal["pendiente", "aprobada", "en_ejecucion", "completada", "facturada", "cancelada"]
CAMPANA_ID = AliasChoices("campana_id", "campaña_id")


# --- campañas ------------------------------------------------------------------------------------


class CampanaIn(StrictBody):
    cliente_id: IdIn
    agencia_id: IdIn | None = None
    nombre: Name
    objetivo: Text | None = None
    fecha_inicio: date
    fecha_fin: date
    presupuesto: MoneyIn
    status: StatusCampana = "planeada"


class CampanaPatch(StrictBody):
    agencia_id: IdIn | None = None
    nombre: Annotated[Name | None, NOT_NULL] = None
    objetivo: Text | None = None
    fecha_inicio: Annotated[date | None, NOT_NULL] = None
    fecha_fin: Annotated[date | None, NOT_NULL] = None
    presupuesto: Annotated[MoneyIn | None, NOT_NULL] = None
    status: Annotated[StatusCampana | None, NOT_NULL] = None


class CampanaOut(WireModel):
    id: int
    cliente_id: int
    agencia_id: int | None
    nombre: str
    objetivo: str | None
    fecha_inicio: date
    fecha_fin: date
    presupuesto: MoneyOut
    status: str
    created_at: datetime
    updated_at: datetime


# --- órdenes -------------------------------------------------------------------------------------


class ItemIn(StrictBody):
    descripcion: Name | None = None
    tarifa_id: IdIn | None = Field(
        None, description="A line of the medio's rate card; fills the unit amounts."
    )
    cantidad: QuantityIn
    costo_unitario: MoneyIn | None = None
    precio_unitario: MoneyIn | None = None


class OrdenIn(StrictBody):
    cliente_id: IdIn
    campana_id: IdIn | None = Field(None, validation_alias=CAMPANA_ID)
    medio_id: IdIn
    proveedor_id: IdIn | None = Field(None, description="Defaults to the medio's supplier.")
    contrato_id: IdIn | None = None
    fecha: date | None = Field(None, description="The order's date (default: today, UTC).")
    fecha_inicio: date | None = None
    fecha_fin: date | None = None
    descripcion: Text | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]


class OrdenPatch(StrictBody):
    estado: Annotated[Estado | None, NOT_NULL] = None
    cliente_id: Annotated[IdIn | None, NOT_NULL] = None
    campana_id: IdIn | None = Field(None, validation_alias=CAMPANA_ID)
    medio_id: Annotated[IdIn | None, NOT_NULL] = None
    proveedor_id: Annotated[IdIn | None, NOT_NULL] = None
    contrato_id: IdIn | None = None
    fecha: Annotated[date | None, NOT_NULL] = None
    fecha_inicio: date | None = None
    fecha_fin: date | None = None
    descripcion: Text | None = None
    factura_folio: Annotated[str, Field(max_length=50)] | None = None
    motivo_cancelacion: Text | None = None
    items: Annotated[list[ItemIn] | None, NOT_NULL, Field(min_length=1, max_length=500)] = None


class ItemOut(WireModel):
    id: int
    posicion: int
    descripcion: str
    tarifa_id: int | None
    cantidad: MoneyOut
    costo_unitario: MoneyOut
    precio_unitario: MoneyOut
    importe: MoneyOut
    costo: MoneyOut


class ClienteRef(WireModel):
    id: int
    nombre: str
    rfc: str | None


class MedioRef(WireModel):
    id: int
    nombre: str
    tipo: str


class OrdenOut(WireModel):
    id: int
    estado: str
    cliente_id: int
    cliente: ClienteRef
    campana_id: int | None
    medio_id: int
    medio: MedioRef
    proveedor_id: int
    contrato_id: int | None
    fecha: date
    fecha_inicio: date | None
    fecha_fin: date | None
    descripcion: str | None
    items: list[ItemOut]
    total: MoneyOut
    costo: MoneyOut
    factura_folio: str | None
    motivo_cancelacion: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def margen(self) -> MoneyOut:
        return self.total - self.costo

    @computed_field  # type: ignore[prop-decorator]
    @property
    def margen_pct(self) -> PctOut:
        return margin_pct(self.total, self.costo)
