"""Offset and cursor pagination, and the meta shapes each surface renders them in.

Offset pages answer "page N of M" for people; cursor pages (keyset) are stable under inserts and
cheap at any depth, for machines walking a whole collection.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from fastapi import Query
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from nexo.core.db.types import UTCDateTime
from nexo.core.errors import ErrorDetail, ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def page_params(
    page: int = Query(1, ge=1, le=1_000_000, description="Page number, from 1."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-100)."),
) -> PageParams:
    return PageParams(page=page, limit=limit)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0


async def paginate(session: AsyncSession, statement: Select[Any], params: PageParams) -> Page[Any]:
    """One page of `statement`'s rows (entities when it selects one entity) and the total count."""
    count_query = select(func.count()).select_from(statement.order_by(None).subquery())
    total = (await session.execute(count_query)).scalar_one()
    result = await session.execute(statement.limit(params.limit).offset(params.offset))
    single_entity = len(statement.column_descriptions) == 1
    items = list(result.scalars().all()) if single_entity else list(result.all())
    return Page(items=items, total=total, page=params.page, limit=params.limit)


def crm_meta(page: Page[Any]) -> dict[str, int]:
    return {"current_page": page.page, "per_page": page.limit, "total": page.total, "total_pages": page.pages}


def camel_meta(page: Page[Any]) -> dict[str, int]:
    return {"page": page.page, "limit": page.limit, "total": page.total, "totalPages": page.pages}


def snake_meta(page: Page[Any]) -> dict[str, int]:
    return {"page": page.page, "limit": page.limit, "total": page.total, "total_pages": page.pages}


def tasks_pagination(page: Page[Any]) -> dict[str, int]:
    return {"page": page.page, "limit": page.limit, "total": page.total, "pages": page.pages}


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(orjson.dumps(plain, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    invalid = ValidationFailed(
        "The cursor is not valid; use next_cursor from a previous page.",
        details=[ErrorDetail("cursor", "not a cursor this API issued")],
    )
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise invalid
    try:
        return [_typed(key, value) for key, value in zip(keys, values, strict=True)]
    except (TypeError, ValueError) as exc:
        raise invalid from exc


def _typed(key: InstrumentedAttribute[Any], value: Any) -> Any:
    if isinstance(key.type, UTCDateTime) and value is not None:
        return datetime.fromisoformat(value)
    return value


async def paginate_cursor(
    session: AsyncSession,
    statement: Select[Any],
    *,
    keys: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    limit: int,
) -> CursorPage[Any]:
    """Keyset pagination over `keys` ascending; the last key must be unique (an id) so that the
    order is total and no row is skipped or repeated between pages."""
    ordered = statement.order_by(*keys)
    if cursor:
        ordered = ordered.where(tuple_(*keys) > tuple_(*decode_cursor(cursor, keys)))
    rows = list((await session.execute(ordered.limit(limit + 1))).scalars().all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([getattr(rows[-1], key.key) for key in keys]) if has_more else None
    return CursorPage(items=rows, next_cursor=next_cursor, limit=limit)
