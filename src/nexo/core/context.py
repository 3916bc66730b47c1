"""Per-request facts that code far from the HTTP layer needs: request id, client address, user agent.

They live in context variables so that log lines and audit records can carry them without every
function passing a request object around.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    request_id: str
    ip: str | None = None
    user_agent: str | None = None


current_request: ContextVar[RequestInfo | None] = ContextVar("nexo_current_request", default=None)


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def accept_request_id(candidate: str | None) -> str:
    """Reuse a caller's `X-Request-Id` when it is safe to echo and log; otherwise make one."""
    if candidate and _REQUEST_ID_PATTERN.fullmatch(candidate):
        return candidate
    return new_request_id()


def request_id() -> str | None:
    info = current_request.get()
    return info.request_id if info else None


DeferredWrite = Callable[[], Awaitable[None]]

# Writes that must outlive a failing request (audit of refused logins, permission denials). On
# SQLite the request's own transaction holds the only write lock, so a second transaction opened
# during the request would wait for it forever; these run once the request's transaction is over.
_deferred_writes: ContextVar[list[DeferredWrite] | None] = ContextVar("nexo_deferred_writes", default=None)


def defer_until_request_ends(write: DeferredWrite) -> bool:
    """Queue `write` to run after the current request's transaction; False outside a request."""
    queue = _deferred_writes.get()
    if queue is None:
        return False
    queue.append(write)
    return True


def start_deferred_writes() -> list[DeferredWrite]:
    queue: list[DeferredWrite] = []
    _deferred_writes.set(queue)
    return queue
