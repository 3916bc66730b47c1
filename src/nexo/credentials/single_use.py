"""Spending single-use secrets safely under concurrency."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Update
from sqlalchemy.ext.asyncio import AsyncSession


async def claim(session: AsyncSession, statement: Update) -> bool:
    """Run a conditional UPDATE (`… WHERE id = :id AND used_at IS NULL`) and say whether it changed
    the row. Two requests spending the same code or token race on the row lock (PostgreSQL) or the
    write lock (SQLite); exactly one sees a changed row, so a secret is never spent twice."""
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1
