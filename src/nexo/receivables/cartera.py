"""The portfolio dashboard (collections spec §6), computed in SQL over open invoices.

Days overdue are `today - vencimiento_dia` in the organization's calendar (see `calendar`). Each
figure is one aggregate query (a `CASE` per invoice for the aging buckets, `FILTER (WHERE …)`
clauses for the summary; SQLite ≥ 3.30 and PostgreSQL both have them), so no bucket is computed in
Python and every sum is an exact integer count of cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.errors import ErrorDetail, ValidationFailed
from nexo.core.pagination import Page, PageParams, paginate
from nexo.receivables.calendar import Organization
from nexo.receivables.models import OPEN, CarteraSnapshot, Cliente, Factura
from nexo.receivables.sync import last_sync_at

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Bucket:
    rango: str
    label: str
    low: int | None  # fewest days overdue in the bucket (None: not yet due)
    high: int | None  # most days overdue (None: no upper bound)


BUCKETS: tuple[Bucket, ...] = (
    Bucket("vigente", "Vigente", None, 0),
    Bucket("1-30", "1-30 días", 1, 30),
    Bucket("31-60", "31-60 días", 31, 60),
    Bucket("61-90", "61-90 días", 61, 90),
    Bucket("90+", "+90 días", 91, None),
)
OVERDUE_RANGES = {bucket.rango: bucket for bucket in BUCKETS if bucket.rango != "vigente"}


@dataclass(frozen=True, slots=True)
class Filters:
    empresa_id: str | None = None
    desde: date | None = None  # invoice date (`fecha`) from, inclusive
    hasta: date | None = None  # invoice date to, inclusive

    def check(self) -> None:
        if self.desde and self.hasta and self.desde > self.hasta:
            raise ValidationFailed(
                "`desde` is after `hasta`.", details=[ErrorDetail("desde", "must not be after hasta")]
            )

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.empresa_id is not None:
            query = query.where(Factura.empresa_id == self.empresa_id)
        if self.desde is not None:
            query = query.where(Factura.fecha >= self.desde)
        if self.hasta is not None:
            query = query.where(Factura.fecha <= self.hasta)
        return query


def percent(part: Decimal, whole: Decimal) -> float:
    """`part / whole` as a percentage with one decimal (0 when there is nothing)."""
    if not whole:
        return 0.0
    return float((part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP))


def in_bucket(bucket: Bucket, today: int) -> ColumnElement[bool]:
    """Open invoices `bucket` holds, as a condition on the due day number."""
    due = Factura.vencimiento_dia
    if bucket.low is None:
        return due >= today
    conditions = [due <= today - bucket.low]
    if bucket.high is not None:
        conditions.append(due >= today - bucket.high)
    return and_(*conditions)


@dataclass(frozen=True, slots=True)
class BucketFigure:
    bucket: Bucket
    monto: Decimal
    facturas: int
    porcentaje: float


@dataclass(frozen=True, slots=True)
class Aging:
    rangos: list[BucketFigure]
    total: Decimal


def bucket_index(today: int) -> ColumnElement[int]:
    """The position in BUCKETS of an open invoice's bucket, as one CASE: the first bucket whose most
    days overdue the invoice is within, the last (no upper bound) otherwise."""
    whens = [
        (Factura.vencimiento_dia >= today - bucket.high, index)
        for index, bucket in enumerate(BUCKETS)
        if bucket.high is not None
    ]
    return case(*whens, else_=len(BUCKETS) - 1)


def aging_query(today: int, filters: Filters) -> Select[Any]:
    """(bucket position, Σ saldo, count) of the open invoices, one row per non-empty bucket.

    One CASE and one group per row is ~35 % cheaper than a `SUM … FILTER` pair per bucket over
    1,000,000 invoices, and reads only the columns of the partial index `ix_receivable_invoices_open_aging`
    (an index-only scan on PostgreSQL; bench/collections_aging.py)."""
    bucket = bucket_index(today).label("bucket")
    query = select(bucket, func.sum(Factura.saldo), func.count()).where(Factura.status == OPEN)
    return filters.apply(query).group_by(bucket)


async def aging(session: AsyncSession, org: Organization, filters: Filters) -> Aging:
    filters.check()
    rows = (await session.execute(aging_query(org.today_number, filters))).tuples()
    found = {int(index): (monto or ZERO, int(count)) for index, monto, count in rows}
    amounts = [found.get(i, (ZERO, 0))[0] for i in range(len(BUCKETS))]
    total = sum(amounts, ZERO)
    figures = [
        BucketFigure(bucket, amounts[i], found.get(i, (ZERO, 0))[1], percent(amounts[i], total))
        for i, bucket in enumerate(BUCKETS)
    ]
    return Aging(rangos=figures, total=total)


@dataclass(frozen=True, slots=True)
class Variation:
    cartera: float | None
    vencida: float | None


@dataclass(frozen=True, slots=True)
class Summary:
    total: Decimal
    vigente: Decimal
    vencida: Decimal
    porcentaje_vencido: float
    clientes_con_saldo: int
    facturas_activas: int
    promedio_antiguedad: float
    variacion: Variation
    last_sync: datetime | None


async def summary(session: AsyncSession, org: Organization, filters: Filters) -> Summary:
    filters.check()
    today = org.today_number
    overdue = Factura.vencimiento_dia < today
    days = today - Factura.vencimiento_dia
    query = select(
        func.sum(Factura.saldo),
        func.sum(Factura.saldo).filter(overdue),
        func.count(func.distinct(Factura.cliente_id)),
        func.count(),
        # Σ cents × days overdue (an integer): divided by the overdue balance it is the
        # balance-weighted average age of what is overdue.
        func.sum(type_coerce(Factura.saldo, BigInteger()) * days).filter(overdue),
    ).where(Factura.status == OPEN)
    total, vencida, clients, invoices, weighted = (await session.execute(filters.apply(query))).one()
    total, vencida = total or ZERO, vencida or ZERO
    average = (
        float((Decimal(weighted or 0) / 100 / vencida).quantize(TENTH, ROUND_HALF_UP)) if vencida else 0.0
    )
    return Summary(
        total=total,
        vigente=total - vencida,
        vencida=vencida,
        porcentaje_vencido=percent(vencida, total),
        clientes_con_saldo=int(clients or 0),
        facturas_activas=int(invoices or 0),
        promedio_antiguedad=average,
        variacion=await variation(session, org, filters.empresa_id, total, vencida),
        last_sync=await last_sync_at(session, empresa_id=filters.empresa_id),
    )


def one_month_before(day: date) -> date:
    """The same day of the previous month, or its last day when shorter (31 Mar → 28/29 Feb)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _change(now: Decimal, before: Decimal | None) -> float | None:
    if before is None or not before:
        return None
    return float(((now - before) * 100 / before).quantize(TENTH, ROUND_HALF_UP))


async def variation(
    session: AsyncSession, org: Organization, empresa_id: str | None, total: Decimal, vencida: Decimal
) -> Variation:
    """Change against the totals of one month before: per empresa, the latest daily snapshot taken on
    or before that day; None when there is no such snapshot (nothing to compare with)."""
    month_ago = one_month_before(org.today)
    latest = (
        select(CarteraSnapshot.empresa_id, func.max(CarteraSnapshot.taken_on).label("taken_on"))
        .where(CarteraSnapshot.taken_on <= month_ago)
        .group_by(CarteraSnapshot.empresa_id)
    )
    if empresa_id is not None:
        latest = latest.where(CarteraSnapshot.empresa_id == empresa_id)
    base = latest.subquery()
    query = select(func.sum(CarteraSnapshot.total), func.sum(CarteraSnapshot.vencida), func.count()).join(
        base,
        and_(CarteraSnapshot.empresa_id == base.c.empresa_id, CarteraSnapshot.taken_on == base.c.taken_on),
    )
    before_total, before_vencida, found = (await session.execute(query)).one()
    if not found:
        return Variation(cartera=None, vencida=None)
    return Variation(cartera=_change(total, before_total), vencida=_change(vencida, before_vencida))


# --- overdue invoices -------------------------------------------------------------------------

OVERDUE_SORTS: dict[str, Any] = {
    # diasVencido grows as the due day shrinks, hence the inverted column.
    "diasVencido": (Factura.vencimiento_dia, True),
    "saldo": (Factura.saldo, False),
    "total": (Factura.total, False),
    "vencimiento": (Factura.vencimiento, False),
    "fecha": (Factura.fecha, False),
    "folio": (Factura.folio, False),
    "cliente": (Cliente.nombre, False),
}


def parse_sort(value: str, allowed: dict[str, Any]) -> tuple[Any, bool]:
    """`field:asc|desc` → (column, descending), refusing unknown fields with a 400 naming them."""
    field, _, direction = value.partition(":")
    direction = direction or "asc"
    if field not in allowed or direction not in {"asc", "desc"}:
        raise ValidationFailed(
            f"Cannot sort by {value!r}.",
            details=[ErrorDetail("sort", f"use <field>:asc|desc with field one of {', '.join(allowed)}")],
        )
    column, inverted = allowed[field]
    return column, (direction == "desc") != inverted


def bucket_label(days: int) -> str:
    for bucket in BUCKETS:
        if (bucket.low is None and days <= 0) or (
            bucket.low is not None and days >= bucket.low and (bucket.high is None or days <= bucket.high)
        ):
            return bucket.rango
    return "vigente"


async def overdue_invoices(
    session: AsyncSession,
    org: Organization,
    params: PageParams,
    *,
    sort: str,
    rango: str | None,
    empresa_id: str | None,
) -> Page[Any]:
    """Rows of (Factura, clave, nombre) for overdue open invoices, one page."""
    today = org.today_number
    column, descending = parse_sort(sort, OVERDUE_SORTS)
    query = (
        select(Factura, Cliente.clave, Cliente.nombre)
        .join(Cliente, Cliente.id == Factura.cliente_id)
        .where(Factura.status == OPEN, Factura.vencimiento_dia < today)
    )
    if rango is not None:
        if rango not in OVERDUE_RANGES:
            raise ValidationFailed(
                f"Unknown rangoAntiguedad {rango!r}.",
                details=[ErrorDetail("rangoAntiguedad", f"one of {', '.join(OVERDUE_RANGES)}")],
            )
        query = query.where(in_bucket(OVERDUE_RANGES[rango], today))
    if empresa_id is not None:
        query = query.where(Factura.empresa_id == empresa_id)
    order = column.desc() if descending else column.asc()
    return await paginate(session, query.order_by(order, Factura.id), params)


def invoice_status(factura: Factura, today: int) -> str:
    if factura.status != OPEN:
        return "pagada"
    return "vencida" if factura.vencimiento_dia < today else "vigente"


def days_overdue(factura: Factura, today: int) -> int:
    return max(0, today - factura.vencimiento_dia) if factura.status == OPEN else 0
