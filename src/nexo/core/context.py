"""Per-request facts that code far from the HTTP layer needs: request id, client address, user agent.

They live in context variables so that log lines and audit records can carry them without every
function passing a request object around.
"""

from __future__ import annotations

import re
import uuid
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
