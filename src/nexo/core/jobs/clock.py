"""The time that jobs, retries and events are scheduled by.

Everything that decides *when* something runs (job due times, webhook retry times, event times)
reads `now()` from here instead of the system clock, so tests can jump hours ahead with a
`ManualClock` instead of sleeping. Wall-clock values that a third party checks against its own
clock (the `webhook-timestamp` header) must keep using real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Protocol

from nexo.core.db.types import utcnow


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that moves only when told to; starts at the real current time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utcnow()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


SYSTEM_CLOCK = SystemClock()
_current: ContextVar[Clock] = ContextVar("nexo_clock", default=SYSTEM_CLOCK)


def current_clock() -> Clock:
    return _current.get()


def now() -> datetime:
    """`current_clock().now()`: what scheduling code calls instead of `utcnow()`."""
    return _current.get().now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make `clock` the current clock for this context (tasks created inside inherit it)."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
