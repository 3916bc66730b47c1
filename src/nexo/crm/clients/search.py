"""Listing clients: filters, accent-insensitive search, and a `total` that stays cheap.

Search is a substring match of the folded term (see `nexo.crm.text`) against `search_text`:
- PostgreSQL: `search_text LIKE '%term%'`, answered by the pg_trgm GIN index;
- SQLite: the FTS5 trigram table `crm_clients_fts` finds the matching rowids, then the tenant's
  rows among them are read by primary key.
Terms shorter than three characters have no trigram to look up; they fall back to a `LIKE` over the
tenant's rows (docs/crm.md explains why that is acceptable and how UIs should debounce).

`total` is exact: unfiltered lists read the tenant's maintained counter (`crm_client_totals`), a
page shorter than the limit knows its total from its own length, and a filtered count costs what the
index lookup of the matching rows costs, never a count of the whole tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, column, exists, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.pagination import Page, PageParams
from nexo.crm.clients.models import FTS_TABLE, Client, ClientTag, ClientTotal
from nexo.crm.text import LIKE_ESCAPE, like_pattern, search_needle

TRIGRAM = 3
_fts = table(FTS_TABLE, column("rowid"), column("search_text"))


@dataclass(frozen=True, slots=True)
class ClientFilters:
    search: str | None = None
    lead_status: str | None = None
    segment: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.search and search_needle(self.search)) and not (
            self.lead_status or self.segment or self.tags
        )


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None
    return bind.dialect.name


def search_condition(session: AsyncSession, term: str) -> ColumnElement[bool] | None:
    needle = search_needle(term)
    if not needle:
        return None
    pattern = like_pattern(needle)
    if _dialect(session) == "sqlite" and len(needle) >= TRIGRAM:
        phrase = '"' + needle.replace('"', '""') + '"'
        matching = select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(phrase))
        return Client.id.in_(matching)
    return Client.search_text.like(pattern, escape=LIKE_ESCAPE)


def filter_conditions(session: AsyncSession, filters: ClientFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.search:
        condition = search_condition(session, filters.search)
        if condition is not None:
            conditions.append(condition)
    if filters.lead_status:
        conditions.append(Client.lead_status == filters.lead_status)
    if filters.segment:
        conditions.append(Client.segment == filters.segment.casefold())
    for tag in filters.tags:
        conditions.append(exists().where(and_(ClientTag.client_id == Client.id, ClientTag.tag == tag)))
    return conditions


def filtered(session: AsyncSession, filters: ClientFilters) -> Select[tuple[Client]]:
    return select(Client).where(*filter_conditions(session, filters))


async def list_clients(session: AsyncSession, filters: ClientFilters, params: PageParams) -> Page[Client]:
    statement = filtered(session, filters).order_by(Client.id.desc())
    rows = list((await session.scalars(statement.limit(params.limit).offset(params.offset))).all())
    if rows and len(rows) < params.limit:
        total = params.offset + len(rows)  # the last page: its length tells the total
    elif filters.empty:
        total = await tenant_total(session)
    else:
        count = select(func.count()).select_from(Client).where(*filter_conditions(session, filters))
        total = int(await session.scalar(count) or 0)
    return Page(items=rows, total=total, page=params.page, limit=params.limit)


async def tenant_total(session: AsyncSession) -> int:
    return int(await session.scalar(select(ClientTotal.clients)) or 0)
