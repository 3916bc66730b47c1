"""Waking workers when there is new work, without busy polling.

Code that adds work (an outbox event, a job) calls `request_wakeup(session)`. Nothing is sent then:
the work is not visible until the transaction commits, and must never be announced if it rolls back.

- PostgreSQL: just before COMMIT, one `pg_notify('nexo_jobs', '')` is added to the transaction.
  PostgreSQL delivers notifications only when (and if) the transaction commits, so listeners on
  every machine wake exactly when the work becomes visible. Identical notifications inside one
  transaction are folded into one by PostgreSQL.
- Every database: after COMMIT, workers running in this process are woken directly, so the
  embedded SQLite setup reacts at once instead of at the next poll.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

CHANNEL = "nexo_jobs"
_WAKE_KEY = "nexo_wake_workers"

_local: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


def request_wakeup(session: Session | Any) -> None:
    """Wake workers once the session's transaction commits (sync or async session)."""
    session.info[_WAKE_KEY] = True


def add_local_waiter(loop: asyncio.AbstractEventLoop, waiter: asyncio.Event) -> None:
    _local.add((loop, waiter))


def remove_local_waiter(loop: asyncio.AbstractEventLoop, waiter: asyncio.Event) -> None:
    _local.discard((loop, waiter))


def wake_local_workers() -> None:
    for loop, waiter in list(_local):
        if loop.is_closed():
            _local.discard((loop, waiter))
            continue
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            waiter.set()
        else:
            loop.call_soon_threadsafe(waiter.set)


@event.listens_for(Session, "before_commit")
def _notify_before_commit(session: Session) -> None:
    if not session.info.get(_WAKE_KEY):
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Runs inside the transaction; PostgreSQL sends it on COMMIT and drops it on ROLLBACK.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_WAKE_KEY, False):
        wake_local_workers()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)
