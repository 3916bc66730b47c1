"""Importing clients from CSV rows, in batches: validate, dedupe by phone, insert or update.

Batches go through bulk statements (one SELECT for the batch's phones, one multi-row INSERT … RETURNING,
one for tags), so an import costs a few statements per thousand rows instead of several per row.
Rows whose phone is already a client are skipped, or updated with the row's non-blank cells when
`on_duplicate="update"`; a phone repeated within the file is a duplicate of its first row, found
because earlier batches are already flushed to the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.db.types import utcnow
from nexo.core.tenancy import current_tenant_id
from nexo.crm.clients.csv_format import row_values
from nexo.crm.clients.fields import FieldProblem, check_fields
from nexo.crm.clients.models import Client, ClientTag
from nexo.crm.clients.service import adjust_total, refresh_search_text
from nexo.crm.text import search_text

BATCH_ROWS = 1000
MAX_REPORTED_ERRORS = 1000
ON_DUPLICATE = ("skip", "update")

Row = tuple[int, list[str]]


@dataclass(slots=True)
class ImportTally:
    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.duplicates + self.error_count

    def error(self, row: int, problem: FieldProblem) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "field": problem.field, "error": problem.message})


@dataclass(frozen=True, slots=True)
class _Candidate:
    row: int
    values: dict[str, Any]
    tags: list[str]


def batches(rows: Iterable[Row], size: int = BATCH_ROWS) -> Iterable[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def import_batch(
    session: AsyncSession,
    rows: Sequence[Row],
    *,
    columns: list[str],
    region: str,
    on_duplicate: str,
    tally: ImportTally,
) -> None:
    """Validate and write one batch in the caller's transaction; counts go into `tally`."""
    tally.rows += len(rows)
    candidates = _validate(rows, columns=columns, region=region, tally=tally)
    if not candidates:
        return
    await _plan_for_these_values(session)
    phones = [candidate.values["phone_number"] for candidate in candidates]
    existing = {
        client.phone_number: client
        for client in await session.scalars(select(Client).where(Client.phone_number.in_(phones)))
    }
    fresh: list[_Candidate] = []
    for candidate in candidates:
        match = existing.get(candidate.values["phone_number"])
        if match is None:
            fresh.append(candidate)
        elif on_duplicate == "update":
            await _update_existing(session, match, candidate)
            tally.updated += 1
        else:
            tally.duplicates += 1
    await _insert(session, fresh)
    tally.imported += len(fresh)
    await session.flush()


async def _plan_for_these_values(session: AsyncSession) -> None:
    """On PostgreSQL, plan the batch's lookup for its own phones, not from a generic plan.

    Every full batch sends the same statement text, and PostgreSQL soon runs such a statement from a
    generic plan, made with statistics from when the tenant had few clients: it then filters all the
    tenant's rows by the list, seconds per batch at 50,000 clients (measured by bench/crm_import.py).
    A custom plan per batch costs milliseconds. (Writing the phones into the SQL text as literals
    planned well too, but every batch then left a different prepared statement in the connection's
    cache, and memory grew with the file.) `SET LOCAL` ends with the transaction.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _validate(
    rows: Sequence[Row], *, columns: list[str], region: str, tally: ImportTally
) -> list[_Candidate]:
    seen: set[str] = set()
    candidates: list[_Candidate] = []
    for number, cells in rows:
        try:
            values = check_fields(row_values(columns, cells), region=region)
            if "phone_number" not in values:
                raise FieldProblem("phone_number", "The phone number is required.")
        except FieldProblem as problem:
            tally.error(number, problem)
            continue
        if values["phone_number"] in seen:
            tally.duplicates += 1
            continue
        seen.add(values["phone_number"])
        tags = values.pop("tags", [])
        candidates.append(_Candidate(row=number, values=values, tags=tags))
    return candidates


_INSERT_DEFAULTS: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": None,
    "company": None,
    "city": None,
    "country": None,
    "address": None,
    "lead_status": "new",
    "lead_score": 0,
    "segment": None,
    "notes": None,
    "opt_in": False,
    "is_blocked": False,
    "custom_fields": {},
}


_CLIENTS = cast(Table, Client.__table__)
_TAGS = cast(Table, ClientTag.__table__)


async def _insert(session: AsyncSession, fresh: list[_Candidate]) -> None:
    if not fresh:
        return
    tenant_id = current_tenant_id(session)
    now = utcnow()
    rows = []
    for candidate in fresh:
        row = {**_INSERT_DEFAULTS, **candidate.values}
        row.update(
            tenant_id=tenant_id,
            ltv=Decimal("0.00"),
            total_purchases=0,
            total_chats=0,
            created_at=now,
            updated_at=now,
            search_text=search_text(
                first_name=row["first_name"],
                last_name=row["last_name"],
                email=row["email"],
                phone=row["phone_number"],
            ),
        )
        rows.append(row)
    # A Core INSERT on the table: the ORM's bulk insert leaves out the None values and splits the
    # batch wherever the set of keys changes (a row without an e-mail, the next with one), which sent
    # a thousand rows as hundreds of statements. Every row here has every key: one statement.
    statement = insert(_CLIENTS).returning(_CLIENTS.c.id, sort_by_parameter_order=True)
    ids = list((await session.scalars(statement, rows)).all())
    tags = [
        {"tenant_id": tenant_id, "client_id": client_id, "tag": tag}
        for client_id, candidate in zip(ids, fresh, strict=True)
        for tag in candidate.tags
    ]
    if tags:
        await session.execute(insert(_TAGS), tags)
    await adjust_total(session, len(ids))


async def _update_existing(session: AsyncSession, client: Client, candidate: _Candidate) -> None:
    for name, value in candidate.values.items():
        setattr(client, name, value)
    refresh_search_text(client)
    if candidate.tags:
        current = set(await session.scalars(select(ClientTag.tag).where(ClientTag.client_id == client.id)))
        missing = [tag for tag in candidate.tags if tag not in current]
        if missing:
            tenant_id = current_tenant_id(session)
            await session.execute(
                insert(ClientTag),
                [{"tenant_id": tenant_id, "client_id": client.id, "tag": tag} for tag in missing],
            )
