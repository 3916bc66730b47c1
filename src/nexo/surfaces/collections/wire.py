"""Rendering helpers of the collections surface: money as exact JSON numbers, times in ISO 8601 UTC.

The spec shows money as JSON numbers with two decimals (`"saldo": 12500.00`). A float cannot carry
that exactly, so amounts stay `Decimal` up to the last moment and orjson writes their digits as they
are (`orjson.Fragment`): `12500.00` on the wire is exactly the stored 1,250,000 cents.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import JSONResponse

from nexo.core.db.types import CENT


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value.quantize(CENT)).encode())
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default)


class MoneyJSONResponse(JSONResponse):
    """JSON whose `Decimal`s are written as numbers with exactly two decimals."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


def iso(value: datetime | None) -> str | None:
    """`2025-12-22T15:30:00Z` (UTC, whole seconds unless the time has a fraction)."""
    if value is None:
        return None
    text = value.isoformat(timespec="seconds" if not value.microsecond else "milliseconds")
    return text.replace("+00:00", "Z")


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
