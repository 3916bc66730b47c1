"""Column types that keep money exact and times in UTC on both SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
# Primary keys are INTEGER columns: 32-bit on PostgreSQL. An id above this names no row.
MAX_ID = 2**31 - 1


def to_money(value: Decimal | int | str) -> Decimal:
    """A Decimal with exactly two places; refuses floats, whose binary fractions are not money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, an int or a string")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of 10^-scale units.

    SQLite has no exact decimal type (its NUMERIC is a float), so sums computed in SQL would drift.
    Storing integer units makes `SUM()` exact on both databases; reading divides back into a Decimal.
    Values with more places than `scale` are refused rather than silently rounded.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("decimal columns do not accept floats")
        amount = Decimal(value)
        units = amount.scaleb(self.scale)
        if units != units.to_integral_value():
            raise ValueError(f"{amount} has more than {self.scale} decimal places")
        return int(units)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) * self._unit).quantize(self._unit)


def Money() -> ScaledDecimal:
    """Two-place money column."""
    return ScaledDecimal(2)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, always UTC.

    Naive datetimes are refused on the way in (their zone is a guess); SQLite returns naive values,
    which are UTC by construction here, so they are marked as such on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        converted = value.astimezone(UTC)
        return converted.replace(tzinfo=None) if dialect.name == "sqlite" else converted

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
