"""The arithmetic of orders and reports, in Decimal, with the rounding rules written down once.

- A line's amount is quantity × unit price rounded half-up to the cent (the invoicing convention:
  each printed line is already in cents, and the order's total is the sum of its printed lines).
- Percentages are rounded half-up to two places, from exact sums.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount a line or an order may reach (13 integer digits), so that totals and report
# sums stay far inside the 64-bit integer cents the database stores.
MAX_AMOUNT = Decimal("9999999999999.99")


def line_amount(quantity: Decimal, unit: Decimal) -> Decimal:
    return (quantity * unit).quantize(CENT, rounding=ROUND_HALF_UP)


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole × 100 to two places; None when `whole` is zero (a share of nothing)."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def margin_pct(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(revenue − cost) / revenue × 100; None when there is no revenue."""
    return pct(revenue - cost, revenue)


def average(total: Decimal, count: int) -> Decimal:
    """total / count to the cent (an average ticket); zero when there is nothing to average."""
    if not count:
        return ZERO
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP)
