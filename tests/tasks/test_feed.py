"""The change sequence hands out numbers in commit order, even to concurrent transactions."""

from __future__ import annotations

import asyncio

from tests.identity_support import create_tenant

from nexo.core.db.session import Database
from nexo.tasks.feed import current_version, next_version


async def test_numbers_grow_per_tenant(database: Database) -> None:
    one, two = await create_tenant(database), await create_tenant(database)
    for tenant, expected in ((one, [1, 2]), (two, [1]), (one, [3])):
        async with database.transaction(tenant_id=tenant.id) as session:
            assert [await next_version(session) for _ in expected] == expected
    async with database.transaction(tenant_id=one.id) as session:
        assert await current_version(session) == 3


async def test_a_second_writer_waits_for_the_first_to_commit(database: Database) -> None:
    """The counter row stays locked until commit, so the number taken later is always committed
    later: a reader that has seen N can never afterwards see a new change numbered below N."""
    tenant = await create_tenant(database)
    first_taken = asyncio.Event()
    release_first = asyncio.Event()
    order: list[str] = []

    async def first() -> int:
        async with database.transaction(tenant_id=tenant.id) as session:
            number = await next_version(session)
            first_taken.set()
            await release_first.wait()
            order.append("first commits")
        return number

    async def second() -> int:
        await first_taken.wait()
        async with database.transaction(tenant_id=tenant.id) as session:
            number = await next_version(session)
            order.append("second numbered")
        return number

    tasks = asyncio.gather(first(), second())
    await asyncio.sleep(0.3)
    assert order == []  # the second writer is still waiting for the first
    release_first.set()
    numbers = await asyncio.wait_for(tasks, timeout=30)
    assert list(numbers) == [1, 2]
    assert order == ["first commits", "second numbered"]
