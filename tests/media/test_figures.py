"""Decimal arithmetic of orders and reports: line rounding and percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nexo.media.figures import line_amount, margin_pct, pct


@pytest.mark.parametrize(
    ("quantity", "unit", "expected"),
    [
        ("3", "12.50", "37.50"),
        ("0.5", "0.05", "0.03"),  # 0.025 rounds half up, not to even
        ("1.5", "0.01", "0.02"),  # 0.015 → 0.02
        ("100000", "0.01", "1000.00"),
        ("2.25", "1999.99", "4499.98"),  # 4499.9775
    ],
)
def test_line_amount_rounds_half_up_to_the_cent(quantity: str, unit: str, expected: str) -> None:
    assert line_amount(Decimal(quantity), Decimal(unit)) == Decimal(expected)


def test_margin_is_over_revenue() -> None:
    assert margin_pct(Decimal("1000.00"), Decimal("750.00")) == Decimal("25.00")
    assert margin_pct(Decimal("3.00"), Decimal("2.00")) == Decimal("33.33")
    assert margin_pct(Decimal("3.00"), Decimal("1.00")) == Decimal("66.67")


def test_a_loss_is_a_negative_margin() -> None:
    assert margin_pct(Decimal("100.00"), Decimal("120.00")) == Decimal("-20.00")


def test_no_revenue_has_no_margin_rather_than_a_division_error() -> None:
    assert margin_pct(Decimal("0.00"), Decimal("50.00")) is None
    assert pct(Decimal("1"), Decimal("0")) is None
