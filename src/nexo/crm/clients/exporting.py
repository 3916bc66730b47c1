"""Exporting clients as CSV, streamed: the file is written while it is read from the database.

Rows are read in keyset batches (`id > last ORDER BY id LIMIT n`), each a short query of its own
session, so a large export neither holds a cursor open for minutes nor grows in memory. The request's
own session is finished before a streamed body is sent, which is why the stream opens its own
(read-only, scoped to the caller's tenant).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from sqlalchemy import select

from nexo.core.db.session import Database
from nexo.core.tenancy import scope_to_tenant
from nexo.crm.clients.csv_format import COLUMNS, READ_ONLY_COLUMNS, render_cell
from nexo.crm.clients.models import Client
from nexo.crm.clients.search import ClientFilters, filter_conditions
from nexo.crm.clients.service import tags_of

EXPORT_BATCH = 1000
EXPORT_COLUMNS = ("id", *COLUMNS, *(c for c in READ_ONLY_COLUMNS if c != "id"))
UTF8_BOM = "\ufeff"  # lets Excel open the file as UTF-8, so accents survive


def _line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


async def export_csv(database: Database, *, tenant_id: int, filters: ClientFilters) -> AsyncIterator[bytes]:
    yield (UTF8_BOM + _line(list(EXPORT_COLUMNS))).encode("utf-8")
    last_id = 0
    while True:
        async with database.session(write=False) as session:
            scope_to_tenant(session, tenant_id)
            statement = (
                select(Client)
                .where(Client.id > last_id, *filter_conditions(session, filters))
                .order_by(Client.id)
                .limit(EXPORT_BATCH)
            )
            clients = list((await session.scalars(statement)).all())
            tags = await tags_of(session, [client.id for client in clients])
        if not clients:
            return
        chunk = "".join(_line(_cells(client, tags[client.id])) for client in clients)
        yield chunk.encode("utf-8")
        last_id = clients[-1].id


def _cells(client: Client, tags: list[str]) -> list[str]:
    return [render_cell(name, tags if name == "tags" else getattr(client, name)) for name in EXPORT_COLUMNS]
