"""Job handlers by kind, and the periodic jobs.

A handler is a plain coroutine function `async def handle(session, payload)`: tests call it directly
with a session and a dict. The worker gives it a write session and commits that session together with
the job's completion, so a handler's database changes and "this job is done" commit as one. A handler
returns None when the work is finished, or `Reschedule(at)` to run the same job again at `at` (for
work that waits on a timer, such as a webhook retry).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Reschedule:
    """Handler result: run this job again at `at` (not a failure; attempts are not counted)."""

    at: datetime


HandlerResult = Reschedule | None
Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[HandlerResult]]


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    kind: str
    handle: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True, slots=True)
class Periodic:
    """Enqueue a job of `kind` every `every`, aligned to multiples of `every` since the Unix epoch
    (hourly jobs run at the top of the hour, daily ones at 00:00 UTC)."""

    name: str
    kind: str
    every: timedelta
    payload: dict[str, Any] = field(default_factory=dict)


_handlers: dict[str, HandlerSpec] = {}
_periodics: dict[str, Periodic] = {}


def register_handler(kind: str, handle: Handler, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
    existing = _handlers.get(kind)
    if existing is not None and existing.handle is not handle:
        raise ValueError(f"a handler for job kind {kind!r} is already registered")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    _handlers[kind] = HandlerSpec(kind=kind, handle=handle, max_attempts=max_attempts)


def handler(kind: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Callable[[Handler], Handler]:
    """Decorator form of `register_handler`; returns the function unchanged."""

    def decorate(handle: Handler) -> Handler:
        register_handler(kind, handle, max_attempts=max_attempts)
        return handle

    return decorate


def handler_for(kind: str) -> HandlerSpec | None:
    return _handlers.get(kind)


def known_kinds() -> frozenset[str]:
    return frozenset(_handlers)


def register_periodic(periodic: Periodic) -> None:
    if periodic.every < timedelta(minutes=1):
        raise ValueError("periodic jobs run at most once a minute")
    existing = _periodics.get(periodic.name)
    if existing is not None and existing != periodic:
        raise ValueError(f"periodic job {periodic.name!r} is already registered differently")
    _periodics[periodic.name] = periodic


def periodics() -> list[Periodic]:
    return list(_periodics.values())
