"""The one scoping mechanism: reads filtered, inserts stamped, missing context fails loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import bindparam, delete, func, select, update

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.tenancy import (
    CrossTenantWrite,
    TenantContextMissing,
    allow_all_tenants,
    scope_to_tenant,
)
from nexo.tenants.models import Tenant

SRC = Path(__file__).resolve().parents[2] / "src" / "nexo"


async def make_tenants(database: Database) -> tuple[int, int]:
    async with database.transaction() as session:
        first, second = Tenant(slug="acme", name="Acme"), Tenant(slug="globex", name="Globex")
        session.add_all([first, second])
        await session.flush()
        return first.id, second.id


def record(action: str, tenant_id: int | None = None) -> AuditRecord:
    return AuditRecord(tenant_id=tenant_id, actor_type="user", actor_id="1", action=action, entity_type="X")


async def test_inserts_are_stamped_and_reads_filtered(database: Database) -> None:
    acme, globex = await make_tenants(database)
    async with database.transaction(tenant_id=acme) as session:
        session.add(record("acme.only"))
    async with database.transaction(tenant_id=globex) as session:
        session.add(record("globex.only"))

    async with database.transaction(tenant_id=acme) as session:
        actions = (await session.scalars(select(AuditRecord.action))).all()
        assert actions == ["acme.only"]
        # Joins and aggregates are filtered too.
        joined = await session.scalar(
            select(func.count()).select_from(AuditRecord).join(Tenant, Tenant.id == AuditRecord.tenant_id)
        )
        assert joined == 1
        stamped = await session.scalar(select(AuditRecord))
        assert stamped is not None and stamped.tenant_id == acme


async def test_every_statement_shape_is_filtered(database: Database) -> None:
    acme, globex = await make_tenants(database)
    for tenant in (acme, globex, globex):
        async with database.transaction(tenant_id=tenant) as session:
            session.add(record("row"))
    shapes = {
        "count over select_from": select(func.count()).select_from(AuditRecord),
        "count of a column": select(func.count(AuditRecord.id)),
        "count over a subquery": select(func.count()).select_from(select(AuditRecord).subquery()),
        "join from another model": select(func.count())
        .select_from(Tenant)
        .join(AuditRecord, AuditRecord.entity_type == "X"),
        "exists": select(func.count())
        .select_from(Tenant)
        .where(select(AuditRecord.id).where(AuditRecord.tenant_id == Tenant.id).exists()),
    }
    async with database.transaction(tenant_id=acme) as session:
        counts = {name: await session.scalar(statement) for name, statement in shapes.items()}
    assert counts["count over select_from"] == 1
    assert counts["count of a column"] == 1
    assert counts["count over a subquery"] == 1
    assert counts["join from another model"] == 2  # both tenants rows joined to acme's one record
    assert counts["exists"] == 1  # globex's records are invisible inside the EXISTS too
    async with database.session() as session:
        for statement in shapes.values():
            with pytest.raises(TenantContextMissing):
                await session.execute(statement)


BUILT_ONCE = (
    select(AuditRecord.action).where(AuditRecord.actor_id == bindparam("actor")).order_by(AuditRecord.id)
)
COUNT_BUILT_ONCE = select(func.count()).select_from(AuditRecord)


async def test_a_statement_built_once_is_scoped_to_each_tenant_in_turn(database: Database) -> None:
    # Scoped copies of a reused statement are cached per tenant: each execution must still see
    # only its own tenant's rows, whichever tenant used the statement first.
    acme, globex = await make_tenants(database)
    for tenant, action in ((acme, "acme.row"), (globex, "globex.row"), (globex, "globex.other")):
        async with database.transaction(tenant_id=tenant) as session:
            session.add(record(action))
    for tenant, expected in (
        (acme, ["acme.row"]),
        (globex, ["globex.row", "globex.other"]),
        (acme, ["acme.row"]),
    ):
        async with database.transaction(tenant_id=tenant) as session:
            assert list(await session.scalars(BUILT_ONCE, {"actor": "1"})) == expected
            assert await session.scalar(COUNT_BUILT_ONCE) == len(expected)
    async with database.transaction() as session:
        with pytest.raises(TenantContextMissing):
            await session.scalar(COUNT_BUILT_ONCE)  # the cached answer "touches audit records" holds


async def test_get_by_id_of_another_tenant_finds_nothing(database: Database) -> None:
    acme, globex = await make_tenants(database)
    async with database.transaction(tenant_id=globex) as session:
        theirs = record("globex.secret")
        session.add(theirs)
        await session.flush()
        their_id = theirs.id
    async with database.transaction(tenant_id=acme) as session:
        assert await session.get(AuditRecord, their_id) is None


async def test_updates_and_deletes_are_scoped(database: Database) -> None:
    acme, globex = await make_tenants(database)
    async with database.transaction(tenant_id=acme) as session:
        session.add(record("keep"))
    async with database.transaction(tenant_id=globex) as session:
        session.add(record("keep"))
    async with database.transaction(tenant_id=acme) as session:
        await session.execute(update(AuditRecord).values(action="changed"))
        await session.execute(delete(AuditRecord).where(AuditRecord.action == "keep"))
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads every tenant")
        rows = (await session.execute(select(AuditRecord.tenant_id, AuditRecord.action))).all()
    assert sorted(rows) == sorted([(acme, "changed"), (globex, "keep")])


async def test_query_without_context_fails_loudly(database: Database) -> None:
    await make_tenants(database)
    async with database.session() as session:
        with pytest.raises(TenantContextMissing, match="AuditRecord"):
            await session.execute(select(AuditRecord))
        # Models that are not tenant-owned need no context.
        assert await session.scalar(select(func.count()).select_from(Tenant)) == 2


async def test_insert_without_context_fails_loudly(database: Database) -> None:
    await make_tenants(database)
    with pytest.raises(TenantContextMissing):
        async with database.transaction() as session:
            session.add(record("orphan"))


async def test_cross_tenant_writes_are_refused(database: Database) -> None:
    acme, globex = await make_tenants(database)
    with pytest.raises(CrossTenantWrite):
        async with database.transaction(tenant_id=acme) as session:
            session.add(record("smuggled", tenant_id=globex))
    async with database.transaction(tenant_id=acme) as session:
        mine = record("mine")
        session.add(mine)
    with pytest.raises(CrossTenantWrite):
        async with database.transaction(tenant_id=acme) as session:
            loaded = await session.get(AuditRecord, mine.id)
            assert loaded is not None
            loaded.tenant_id = globex
    async with database.session() as session:
        with pytest.raises(CrossTenantWrite):
            scope_to_tenant(session, acme)
            scope_to_tenant(session, globex)


async def test_all_tenants_session_must_say_why_and_name_tenants(database: Database) -> None:
    acme, _ = await make_tenants(database)
    async with database.session() as session:
        with pytest.raises(ValueError, match="say why"):
            allow_all_tenants(session, reason="")
    async with database.transaction() as session:
        allow_all_tenants(session, reason="platform-level audit")
        session.add(record("platform.action"))  # optional tenant: platform actions have none
        session.add(record("tenant.action", tenant_id=acme))
    async with database.transaction(tenant_id=acme) as session:
        assert (await session.scalars(select(AuditRecord.action))).all() == ["tenant.action"]


def test_no_hand_written_tenant_filters_in_source() -> None:
    """Tenant filters come from the scoping mechanism only; a hand-written one is a smell that the
    mechanism was bypassed (or will be, by the next copy of that code)."""
    pattern = re.compile(r"\.tenant_id\s*(==|!=|\.in_\()")
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if path.name != "tenancy.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "tenancy: explicit" not in line
    ]
    assert offenders == [], "use scope_to_tenant() instead of filtering by tenant_id: " + ", ".join(offenders)
