"""The transactional outbox: domain events committed in the same transaction as the change.

    emit(session, name="task.created", tenant_id=tenant.id, payload={...}, surface="tasks")

adds an `outbox_events` row to the caller's transaction and nothing else: if the transaction rolls
back, the event never existed; if it commits, the event is durable and a worker will hand it to every
registered consumer (the webhook fan-out) exactly once per dispatch. Nothing is sent from inside the
request, so a crash between "changed" and "announced" cannot lose or invent an event.

`surface=None` means "whichever surfaces know this event": one domain emits once, and each surface
whose catalog lists the name delivers it in its own shape. The catalogs live with the webhooks
(`nexo.webhooks.catalog`), which registers a checker here so that emitting an unknown name fails at
once, in the test that exercises it, rather than silently delivering nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base
from nexo.core.db.session import Database
from nexo.core.db.types import UTCDateTime
from nexo.core.jobs import clock
from nexo.core.jobs.models import BIG_ID
from nexo.core.jobs.queue import affected
from nexo.core.jobs.wakeup import request_wakeup
from nexo.core.tenancy import TenantOwned, allow_all_tenants

_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*")
MAX_NAME_LENGTH = 100
DISPATCH_BATCH = 200
# Any fixed number works; it only has to be the same in every process that dispatches.
_DISPATCH_LOCK_KEY = 0x6E65786F  # "nexo"

EventChecker = Callable[[str, str | None], str | None]
OutboxConsumer = Callable[[AsyncSession, Sequence["OutboxEvent"]], Awaitable[None]]

_checkers: list[EventChecker] = []
_consumers: list[OutboxConsumer] = []


class UnknownEvent(ValueError):
    """An event name that no catalog lists, or a payload that is not JSON."""


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


class OutboxEvent(TenantOwned, Base):
    __tablename__ = "outbox_events"
    __tenant_optional__ = True  # platform-level events (a new tenant, the owner's leads) have none
    __table_args__ = (
        Index(
            "ix_outbox_events_undispatched",
            "id",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_event_id)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    surface: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def add_event_checker(checker: EventChecker) -> None:
    """Register `checker(name, surface) -> problem or None`, consulted by every `emit`."""
    if checker not in _checkers:
        _checkers.append(checker)


def register_outbox_consumer(consumer: OutboxConsumer) -> None:
    """Register a consumer; it is called with each batch of committed events, in id order."""
    if consumer not in _consumers:
        _consumers.append(consumer)


def _problem(name: str, surface: str | None, payload: Any) -> str | None:
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        return f"{name!r} is not an event name (dot-separated words, at most {MAX_NAME_LENGTH} characters)"
    if not isinstance(payload, dict):
        return "an event payload must be a JSON object"
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"the payload of {name} is not JSON ({exc}); render money and times as strings first"
    for checker in _checkers:
        problem = checker(name, surface)
        if problem is not None:
            return problem
    return None


def emit(
    session: AsyncSession,
    *,
    name: str,
    tenant_id: int | None,
    payload: dict[str, Any],
    surface: str | None = None,
) -> OutboxEvent:
    """Add an event to the caller's transaction (see the module docstring). Raises `UnknownEvent`
    for a name no catalog lists or a payload that is not plain JSON."""
    name = unicodedata.normalize("NFC", name)
    problem = _problem(name, surface, payload)
    if problem is not None:
        raise UnknownEvent(problem)
    event = OutboxEvent(
        tenant_id=tenant_id, surface=surface, name=name, payload=payload, occurred_at=clock.now()
    )
    session.add(event)
    request_wakeup(session)
    return event


async def dispatch_pending(database: Database, *, limit: int = DISPATCH_BATCH) -> int:
    """Hand one batch of undispatched events to the consumers and mark them dispatched, in one
    transaction. Returns how many events it took (0: none waiting, or another process is dispatching).

    One dispatcher at a time (an advisory lock on PostgreSQL, the single writer on SQLite) keeps
    events in id order, which is what keeps each webhook subscription's messages in order.
    """
    if not _consumers:
        return 0  # nobody would act on them; leave them for a process that has consumers
    async with database.transaction() as session:
        allow_all_tenants(session, reason="the outbox dispatcher hands every tenant's events on")
        if not database.is_sqlite:
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _DISPATCH_LOCK_KEY}
            )
            if not locked:
                return 0
        pending = select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id)
        events = list((await session.scalars(pending.limit(limit))).all())
        if not events:
            return 0
        for consumer in _consumers:
            await consumer(session, events)
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_([event.id for event in events]))
            .values(dispatched_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    return len(events)


async def has_undispatched(database: Database) -> bool:
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="checking whether any tenant's events wait for dispatch")
        pending = select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).limit(1)
        return (await session.scalar(pending)) is not None


async def prune_dispatched(session: AsyncSession, *, older_than: timedelta) -> int:
    """Delete events dispatched more than `older_than` ago (their deliveries keep their own copy)."""
    allow_all_tenants(session, reason="outbox retention covers every tenant")
    cutoff = clock.now() - older_than
    outcome = await session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_not(None), OutboxEvent.dispatched_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return affected(outcome)
