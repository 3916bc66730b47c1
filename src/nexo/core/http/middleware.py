"""Pure ASGI middleware that wraps the whole application (every surface, every host).

- `RequestContextMiddleware`: request id (accepted from `X-Request-Id` or made), echoed on the
  response; one JSON access-log line per request; the last line of defence that turns an
  unhandled exception into the 500 envelope and logs it once.
- `BodyLimitMiddleware`: refuses bodies over the configured size, by `Content-Length` before the
  first byte is read and by counting bytes as they stream in, so a chunked upload cannot get around
  it. A route that takes larger bodies (the collections sync) raises its own request's limit with
  `allow_body_up_to` before it reads the body; every other route keeps the global limit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexo.core.context import RequestInfo, accept_request_id, current_request
from nexo.core.errors import envelope

log = logging.getLogger("nexo.access")
error_log = logging.getLogger("nexo.errors")


async def send_envelope(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps(envelope(code, message))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        info = RequestInfo(
            request_id=accept_request_id(headers.get("x-request-id")),
            ip=_client_ip(scope),
            user_agent=headers.get("user-agent"),
        )
        token = current_request.set(info)
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = info.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error", extra={"path": scope.get("path")})
            if status_holder["status"] is None:
                await send_envelope(send_with_id, 500, "INTERNAL_ERROR", "Something went wrong on our side.")
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "ip": info.ip,
                },
            )
            current_request.reset(token)


BODY_LIMIT_KEY = "nexo.body_limit"


@dataclass(slots=True)
class BodyLimit:
    """The largest body the current request may send; kept in the ASGI scope by the middleware."""

    max_bytes: int

    def message(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."


def allow_body_up_to(scope: Scope, max_bytes: int) -> None:
    """Let this request's body be up to `max_bytes` (instead of `NEXO_MAX_BODY_BYTES`). Call it in
    the route before the body is read, i.e. in a route that reads `request.body()` itself, after
    its authentication dependencies: a caller who is not allowed never gets the larger limit."""
    limit = scope.get(BODY_LIMIT_KEY)
    if isinstance(limit, BodyLimit):
        limit.max_bytes = max_bytes


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BodyLimit(self.max_body_bytes)
        scope[BODY_LIMIT_KEY] = limit
        declared = Headers(scope=scope).get("content-length")
        declared_size = int(declared) if declared is not None and declared.isdigit() else None
        received = 0
        first = True

        async def counting_receive() -> Message:
            nonlocal received, first
            # Raised inside the endpoint's body read. It must be an HTTPException: FastAPI
            # re-raises those as they are and turns any other error into a 400.
            if first:  # the declared size, against the limit the route left, before reading a byte
                first = False
                if declared_size is not None and declared_size > limit.max_bytes:
                    raise HTTPException(413, limit.message())
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise HTTPException(413, limit.message())
            return message

        await self.app(scope, counting_receive, send)
