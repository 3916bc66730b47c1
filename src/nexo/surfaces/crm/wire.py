"""Small wire helpers shared by the crm directory routers (ids, money, permissions)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import Depends, Path

from nexo.core.auth.dependencies import Authenticated

SURFACE = "crm"
MAX_INT_ID = 2**31 - 1


def IdPath(description: str) -> object:
    return Path(gt=0, le=MAX_INT_ID, description=description)


def allowed(*permissions: str) -> object:
    """`Annotated[Principal, allowed("clients.read")]`: the caller, holding every permission."""
    return Depends(Authenticated(surface=SURFACE, permissions=set(permissions)))


def money_number(value: Decimal) -> int | float:
    """The spec writes amounts as JSON numbers (`"ltv": 500000`); whole amounts stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)
