"""Typed models of the media API's resources. Money is `Decimal` (the wire sends two-decimal
strings), dates are `date`, times are aware `datetime`. Fields the API adds later are ignored, so an
older client keeps working against a newer server."""

from __future__ import annotations

import dataclasses
import sys
import types
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


@dataclass(frozen=True)
class Cliente:
    id: int
    nombre: str
    status: str
    razon_social: str | None = None
    rfc: str | None = None
    email: str | None = None
    telefono: str | None = None
    contacto: str | None = None
    industria: str | None = None
    notas: str | None = None
    rentabilidad_promedio: Decimal | None = None  # margin % of the client's committed orders
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Agencia:
    id: int
    nombre: str
    status: str
    comision_pct: Decimal = Decimal("0")
    rfc: str | None = None
    email: str | None = None
    telefono: str | None = None
    contacto: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Proveedor:
    id: int
    nombre: str
    status: str
    razon_social: str | None = None
    rfc: str | None = None
    email: str | None = None
    telefono: str | None = None
    contacto: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Tarifa:
    id: int
    concepto: str
    unidad: str
    costo_unitario: Decimal
    precio_unitario: Decimal
    vigente_desde: date | None = None
    vigente_hasta: date | None = None


@dataclass(frozen=True)
class Medio:
    id: int
    nombre: str
    tipo: str  # tv, radio, prensa, digital, exterior
    status: str
    proveedor_id: int | None = None
    cobertura: str | None = None
    descripcion: str | None = None
    tarifas: list[Tarifa] = dataclasses.field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Contrato:
    id: int
    folio: str
    tipo: str  # cliente | proveedor
    fecha_inicio: date
    fecha_fin: date
    monto: Decimal
    status: str
    cliente_id: int | None = None
    proveedor_id: int | None = None
    descripcion: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Campana:
    id: int
    cliente_id: int
    nombre: str
    fecha_inicio: date
    fecha_fin: date
    presupuesto: Decimal
    status: str
    agencia_id: int | None = None
    objetivo: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ClienteRef:
    id: int
    nombre: str
    rfc: str | None = None


@dataclass(frozen=True)
class MedioRef:
    id: int
    nombre: str
    tipo: str


@dataclass(frozen=True)
class OrdenItem:
    id: int
    posicion: int
    descripcion: str
    cantidad: Decimal
    costo_unitario: Decimal
    precio_unitario: Decimal
    importe: Decimal  # cantidad × precio_unitario, rounded to the cent
    costo: Decimal
    tarifa_id: int | None = None


@dataclass(frozen=True)
class Orden:
    id: int
    estado: str  # pendiente, aprobada, en_ejecucion, completada, facturada, cancelada
    cliente_id: int
    cliente: ClienteRef
    medio_id: int
    medio: MedioRef
    proveedor_id: int
    fecha: date
    items: list[OrdenItem]
    total: Decimal
    costo: Decimal
    margen: Decimal
    margen_pct: Decimal | None = None
    campana_id: int | None = None
    contrato_id: int | None = None
    fecha_inicio: date | None = None
    fecha_fin: date | None = None
    descripcion: str | None = None
    factura_folio: str | None = None
    motivo_cancelacion: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PageMeta:
    page: int
    limit: int
    total: int
    total_pages: int


# --- decoding ------------------------------------------------------------------------------------


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls, vars(sys.modules[cls.__module__]))
    return _HINTS[cls]


def from_wire(cls: type[T], data: dict[str, Any]) -> T:
    """Build `cls` from a JSON object, converting each known field to its annotated type."""
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {name: _convert(hints[name], value) for name, value in data.items() if name in names}
    return cls(**values)


def _convert(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin is list:
        (item,) = get_args(annotation)
        return [_convert(item, element) for element in value]
    if annotation is Decimal:
        return Decimal(str(value))
    if annotation is datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if annotation is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return from_wire(annotation, value)
    return value


def to_wire(value: Any) -> Any:
    """JSON-ready request values: Decimal and dates as strings (never floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value
