"""Money stays exact to the cent in SQL sums on both databases; times stay aware and UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from nexo.core.db.session import Database
from nexo.core.db.types import Money, ScaledDecimal, UTCDateTime, to_money

scratch = MetaData()
ledger = Table(
    "scratch_ledger",
    scratch,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("rate", ScaledDecimal(4)),
    Column("at", UTCDateTime()),
)


@pytest.fixture
async def connection(database: Database) -> AsyncIterator[AsyncConnection]:
    async with database.write_engine.connect() as conn:
        await conn.run_sync(scratch.create_all)
        await conn.commit()
        try:
            yield conn
        finally:
            await conn.rollback()
            await conn.run_sync(scratch.drop_all)
            await conn.commit()


async def test_sum_of_cents_is_exact(connection: AsyncConnection) -> None:
    # 0.10 added 1,000 times: a float column would drift; integer units do not.
    rows = [{"amount": Decimal("0.10"), "rate": Decimal("0.3333")} for _ in range(1000)]
    rows.append({"amount": Decimal("-99999999.99"), "rate": Decimal("1")})
    await connection.execute(insert(ledger), rows)
    # SUM() keeps the column's type, so the integer total comes back as an exact Decimal.
    total = (await connection.execute(select(func.sum(ledger.c.amount)))).scalar_one()
    assert total == Decimal("-99999899.99")
    fetched = (await connection.execute(select(ledger.c.amount, ledger.c.rate).limit(1))).one()
    assert fetched == (Decimal("0.10"), Decimal("0.3333"))


async def test_more_places_than_the_column_are_refused(connection: AsyncConnection) -> None:
    with pytest.raises(Exception, match="more than 2 decimal places"):
        await connection.execute(insert(ledger).values(amount=Decimal("1.005")))


async def test_times_come_back_aware_utc(connection: AsyncConnection) -> None:
    bogota = timezone(timedelta(hours=-5))
    moment = datetime(2026, 3, 1, 8, 30, tzinfo=bogota)
    await connection.execute(insert(ledger).values(at=moment))
    stored = (await connection.execute(select(ledger.c.at))).scalar_one()
    assert stored == moment
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(connection: AsyncConnection) -> None:
    with pytest.raises(Exception, match="timezone-aware"):
        await connection.execute(insert(ledger).values(at=datetime(2026, 1, 1)))


def test_floats_are_not_money() -> None:
    with pytest.raises(TypeError):
        to_money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money().process_bind_param(0.1, None)  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_money_round_trips(amount: Decimal) -> None:
    column = Money()
    stored = column.process_bind_param(amount, None)  # type: ignore[arg-type]
    assert isinstance(stored, int)
    assert column.process_result_value(stored, None) == amount  # type: ignore[arg-type]


def test_to_money_quantizes_to_cents() -> None:
    assert to_money("10") == Decimal("10.00")
    assert to_money(Decimal("2.675")) == Decimal("2.68")
    with pytest.raises(ValueError, match="not an amount"):
        to_money("ten")
    assert str(datetime.now(UTC).tzinfo) == "UTC"
