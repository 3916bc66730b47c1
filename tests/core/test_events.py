"""The outbox: events commit with the change that caused them, or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.core.jobs.support import new_tenant

from nexo.core import events
from nexo.core.db.session import Database
from nexo.core.events import OutboxEvent, UnknownEvent, dispatch_pending, emit
from nexo.core.tenancy import CrossTenantWrite, allow_all_tenants
from nexo.webhooks import catalog  # noqa: F401 - registers the name check


async def _events(database: Database) -> list[OutboxEvent]:
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="test reads every event")
        return list((await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all())


async def test_an_emitted_event_commits_with_the_transaction(database: Database) -> None:
    tenant = await new_tenant(database)
    async with database.transaction(tenant_id=tenant) as session:
        emit(session, name="task.created", tenant_id=tenant, payload={"id": "task_001"}, surface="tasks")
    [event] = await _events(database)
    assert (event.name, event.tenant_id, event.surface) == ("task.created", tenant, "tasks")
    assert event.payload == {"id": "task_001"}
    assert event.public_id.startswith("evt_")
    assert event.dispatched_at is None


async def test_a_rolled_back_transaction_emits_nothing(database: Database) -> None:
    tenant = await new_tenant(database)
    with pytest.raises(RuntimeError, match="change failed"):
        async with database.transaction(tenant_id=tenant) as session:
            emit(session, name="task.created", tenant_id=tenant, payload={"id": "task_002"})
            await session.flush()  # even flushed rows go away with the rollback
            raise RuntimeError("change failed")
    assert await _events(database) == []


@pytest.mark.parametrize(
    ("name", "surface", "problem"),
    [
        ("task.creatd", None, "no event catalog"),
        ("orden.creada", "tasks", "not in the tasks event catalog"),
        ("task.created", "crm", "sends no webhooks"),
        ("task..created", None, "not an event name"),
    ],
)
async def test_unknown_names_are_refused_at_emit(
    database: Database, name: str, surface: str | None, problem: str
) -> None:
    async with database.session() as session:
        allow_all_tenants(session, reason="test")
        with pytest.raises(UnknownEvent, match=problem):
            emit(session, name=name, tenant_id=None, payload={}, surface=surface)


async def test_payload_must_be_plain_json(database: Database) -> None:
    async with database.session() as session:
        allow_all_tenants(session, reason="test")
        with pytest.raises(UnknownEvent, match="not JSON"):
            emit(session, name="pago.registrado", tenant_id=None, payload={"monto": Decimal("1.50")})


async def test_an_event_cannot_be_emitted_for_another_tenant(database: Database) -> None:
    mine, other = await new_tenant(database), await new_tenant(database)
    with pytest.raises(CrossTenantWrite):
        async with database.transaction(tenant_id=mine) as session:
            emit(session, name="task.created", tenant_id=other, payload={})
    assert await _events(database) == []


async def test_dispatch_hands_each_event_on_once_in_order(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await new_tenant(database)
    seen: list[list[str]] = []

    async def consumer(session: AsyncSession, batch: Sequence[OutboxEvent]) -> None:
        seen.append([event.payload["n"] for event in batch])

    monkeypatch.setattr(events, "_consumers", [consumer])
    for n in ("1", "2", "3"):
        async with database.transaction(tenant_id=tenant) as session:
            emit(session, name="task.updated", tenant_id=tenant, payload={"n": n})
    assert await dispatch_pending(database, limit=2) == 2
    assert await dispatch_pending(database, limit=2) == 1
    assert await dispatch_pending(database, limit=2) == 0
    assert seen == [["1", "2"], ["3"]]
    assert all(event.dispatched_at is not None for event in await _events(database))


async def test_a_failing_consumer_leaves_the_events_for_the_next_dispatch(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await new_tenant(database)
    calls: list[int] = []

    async def flaky(session: AsyncSession, batch: Sequence[OutboxEvent]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("consumer crashed")

    monkeypatch.setattr(events, "_consumers", [flaky])
    async with database.transaction(tenant_id=tenant) as session:
        emit(session, name="task.updated", tenant_id=tenant, payload={})
    with pytest.raises(RuntimeError):
        await dispatch_pending(database)
    assert await dispatch_pending(database) == 1
    assert calls == [1, 1]


async def test_without_consumers_nothing_is_marked_dispatched(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "_consumers", [])
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test")
        emit(session, name="tenant.created", tenant_id=None, payload={}, surface="platform")
    assert await dispatch_pending(database) == 0
    [event] = await _events(database)
    assert event.dispatched_at is None
