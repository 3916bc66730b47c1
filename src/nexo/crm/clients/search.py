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
    if filters.empty:
        return await _unfiltered_page(session, params)
    return await _filtered_page(session, filters, params)


async def _unfiltered_page(session: AsyncSession, params: PageParams) -> Page[Client]:
    statement = select(Client).order_by(Client.id.desc()).limit(params.limit).offset(params.offset)
    rows = list((await session.scalars(statement)).all())
    total = _total_from_length(rows, params)
    if total is None:
        total = await tenant_total(session)
    return Page(items=rows, total=total, page=params.page, limit=params.limit)


async def _filtered_page(session: AsyncSession, filters: ClientFilters, params: PageParams) -> Page[Client]:
    """One statement, one index lookup: the matching ids are found once (a CTE used twice, so the
    database materialises it), counted, and the page's ids taken from them; only the page's rows are
    then read in full, by primary key.

    Two statements (the page, then `count(*)`) run the same trigram lookup twice. Worse, a page with
    `ORDER BY id DESC LIMIT 20` invites a plan that walks the tenant's rows newest first hoping to meet
    20 matches soon, which reads every row when the term is rare (PostgreSQL's generic plans for
    prepared statements fall into it easily). A materialised CTE cannot be walked that way: its cost
    is the index lookup, bounded by the matches.
    """
    matches = select(Client.id).where(*filter_conditions(session, filters)).cte("matches")
    page = select(matches.c.id).order_by(matches.c.id.desc()).limit(params.limit).offset(params.offset)
    page_ids = page.subquery("page")
    total = select(func.count()).select_from(matches).scalar_subquery().label("total")
    statement = select(Client, total).join(page_ids, page_ids.c.id == Client.id).order_by(Client.id.desc())
    result = (await session.execute(statement)).all()
    rows = [client for client, _ in result]
    if result:
        found = int(result[0].total)
    elif params.offset == 0:
        found = 0
    else:  # a page past the end has no row to carry the total
        count = select(func.count()).select_from(Client).where(*filter_conditions(session, filters))
        found = int(await session.scalar(count) or 0)
    return Page(items=rows, total=found, page=params.page, limit=params.limit)


def _total_from_length(rows: Sequence[Client], params: PageParams) -> int | None:
    """The total when the page itself tells it: a short page is the last one."""
    if len(rows) < params.limit and (rows or params.offset == 0):
        return params.offset + len(rows)
    return None


async def tenant_total(session: AsyncSession) -> int:
    return int(await session.scalar(select(ClientTotal.clients)) or 0)
