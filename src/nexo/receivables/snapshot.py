"""The snapshot a connector pushes (`POST /sync/cartera`, collections spec §5.1), validated.

Numbers reach these models as exact `Decimal`s or ints (see `canonical.parse_preserving_numbers`),
never floats. Money has at most two decimal places and is not negative; dates are `YYYY-MM-DD` and
real calendar days. The aggregates a connector sends (`resumen`, `antiguedad`, each client's
`saldoTotal`…) are accepted and kept with the sync run, but the portfolio is always recomputed from
the invoices.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_MONEY = Decimal("9999999999999.99")
CENT = Decimal("0.01")


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value  # pydantic then refuses impossible days such as 2025-02-30


def _not_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("money must be sent as a JSON number or string, exactly")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("the timestamp needs a time zone (e.g. 2025-12-22T15:30:00Z)")
    return value


def _money(value: Decimal) -> Decimal:
    """0 ≤ value ≤ MAX_MONEY with at most two decimal places (`1.500` is fine: it is 1.50). One
    function instead of `Field(ge=…, le=…, decimal_places=2)`, whose decimal-places check pydantic
    runs in Python with several calls per amount: a third of a 100,000-invoice snapshot's validation."""
    if value < 0:
        raise ValueError("Input should be greater than or equal to 0")
    if value > MAX_MONEY:
        raise ValueError(f"Input should be less than or equal to {MAX_MONEY}")
    if value != value.quantize(CENT):
        raise ValueError("Decimal input should have no more than 2 decimal places")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Amount = Annotated[Decimal, BeforeValidator(_not_float), AfterValidator(_money)]
Reported = Annotated[Decimal | int | None, Field(default=None)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, alias_generator=to_camel)


class SnapshotContacto(_Wire):
    nombre: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    telefono: str | None = Field(default=None, max_length=40)
    principal: bool | None = None


class SnapshotDireccion(_Wire):
    calle: str | None = Field(default=None, max_length=200)
    colonia: str | None = Field(default=None, max_length=200)
    ciudad: str | None = Field(default=None, max_length=200)
    cp: str | None = Field(default=None, max_length=10)


class SnapshotFactura(_Wire):
    folio: str = Field(min_length=1, max_length=64)
    fecha: IsoDate
    vencimiento: IsoDate
    total: Amount
    saldo: Amount
    dias_vencido: int | None = None  # reported; recomputed from `vencimiento`

    @model_validator(mode="after")
    def _balance_within_total(self) -> SnapshotFactura:
        if self.saldo > self.total:
            raise ValueError(f"invoice {self.folio}: saldo is greater than total")
        return self


class SnapshotCliente(_Wire):
    clave: str = Field(min_length=1, max_length=64)
    nombre: str = Field(min_length=1, max_length=300)
    rfc: str | None = Field(default=None, max_length=13)
    direccion: SnapshotDireccion | None = None
    ultimo_pago: IsoDate | None = None
    saldo_total: Reported = None
    saldo_vencido: Reported = None
    dias_max_vencido: int | None = None
    facturas: list[SnapshotFactura] = Field(default_factory=list)
    contactos: list[SnapshotContacto] = Field(default_factory=list, max_length=50)


class SnapshotData(_Wire):
    resumen: dict[str, Any] | None = None
    antiguedad: list[dict[str, Any]] | None = None
    clientes: list[SnapshotCliente]

    @model_validator(mode="after")
    def _unique_keys(self) -> SnapshotData:
        claves: set[str] = set()
        folios: set[str] = set()
        for cliente in self.clientes:
            if cliente.clave in claves:
                raise ValueError(f"client clave {cliente.clave!r} appears twice")
            claves.add(cliente.clave)
            for factura in cliente.facturas:
                if factura.folio in folios:
                    raise ValueError(f"invoice folio {factura.folio!r} appears twice")
                folios.add(factura.folio)
        return self


class SyncEnvelope(_Wire):
    """Everything of the body but `data` (validated alone when the data is a replay, see
    `receivables.sync.is_replay`)."""

    empresa_id: str = Field(min_length=1, max_length=32)
    timestamp: Annotated[datetime, AfterValidator(_aware)]
    checksum: str = Field(min_length=64, max_length=71)
    # "completo" (default): the snapshot is the empresa's whole open portfolio, and open invoices it
    # leaves out are closed. "parcial": only the clients and invoices sent are touched.
    tipo: Literal["completo", "parcial"] = "completo"


class SyncRequest(SyncEnvelope):
    data: SnapshotData
