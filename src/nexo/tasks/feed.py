"""The tenant's task change sequence: what makes the polling feed exact.

Every change to a task takes the next number of its tenant's sequence and stores it on the task as
`version`. The number is handed out by one upsert on the tenant's counter row, and that row stays
locked until the transaction ends, so the next writer of the same tenant can only take its number
after this one has committed (on SQLite the single writer does the same for the whole file). Hence
the sequence order *is* the commit order: once a reader sees number N, every change numbered below N
is already visible, and a poller that resumes with "after N" can neither miss a change that
committed late nor see one twice. Timestamps cannot promise that: two changes share a millisecond,
clocks of two servers disagree, and a transaction that read the clock first may commit last.

The price is that writes of one tenant's tasks are serialised for the short rest of their
transaction; tasks are written by people and integrations, not in bulk, so that is cheap.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.tenancy import TenantContextMissing, current_tenant_id
from nexo.tasks.models import TaskChangeCounter


async def next_version(session: AsyncSession) -> int:
    """Take the next change number of the session's tenant (locks the counter until commit)."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise TenantContextMissing("task changes need a session scoped to one tenant")
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    first = insert(TaskChangeCounter).values(tenant_id=tenant_id, value=1)
    upsert = first.on_conflict_do_update(
        index_elements=[TaskChangeCounter.tenant_id], set_={"value": TaskChangeCounter.value + 1}
    )
    value: int = (await session.execute(upsert.returning(TaskChangeCounter.value))).scalar_one()
    return value


async def current_version(session: AsyncSession) -> int:
    """The last change number committed (as this session sees it); 0 before the first change."""
    value = await session.scalar(select(TaskChangeCounter.value))
    return int(value or 0)
