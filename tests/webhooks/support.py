"""Webhook test kit: a real HTTP receiver on 127.0.0.1, and builders for subscriptions and events.

`Receiver` is a uvicorn server in the test's event loop. It records every request (headers, exact
body bytes) and answers with whatever `respond` returns, so a test can play a healthy endpoint, a
broken one, a slow one or one that is gone. `stop()` and `start()` again on the same port simulate
an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from sqlalchemy import select
from standardwebhooks import Webhook

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.events import emit
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.webhooks import service
from nexo.webhooks.models import WebhookAttempt, WebhookMessage, WebhookSubscription
from nexo.webhooks.sending import standard_secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Reply = tuple[int, dict[str, str], bytes]
Responder = Callable[[Received], Reply | Awaitable[Reply]]


def ok(_: Received) -> Reply:
    return 200, {}, b'{"status":"success"}'


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # leave the test runner's signal handlers alone
        yield


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    respond: Responder = ok
    _server: _QuietServer | None = None
    _task: asyncio.Task[None] | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            lifespan="off",
            access_log=False,
            interface="asgi3",
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        raise RuntimeError("the receiver did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

    async def wait_for(self, count: int, *, within: float = 10.0) -> list[Received]:
        deadline = asyncio.get_running_loop().time() + within
        while len(self.requests) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"received {len(self.requests)} of {count} deliveries")
            await asyncio.sleep(0.01)
        return self.requests

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (the kill -9 test): nothing was delivered
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        received = Received(scope["path"], headers, body)
        self.requests.append(received)
        reply = self.respond(received)
        status, extra, content = await reply if asyncio.iscoroutine(reply) else reply  # type: ignore[misc]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")]
                + [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": content})


@contextlib.asynccontextmanager
async def running(receiver: Receiver) -> AsyncIterator[Receiver]:
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


# Verification as receivers do it ----------------------------------------------------------------


def verify_standard(secret: str, request: Received) -> Any:
    """Verify with the real `standardwebhooks` library (raises on a bad signature)."""
    return Webhook(standard_secret(secret)).verify(request.body, request.headers)


def spec_verify_signature(secret: str, payload: bytes, signature: str | None) -> bool:
    """The tasks spec's `verify_signature`, as published (hex HMAC-SHA256, `sha256=` prefix)."""
    if signature is None:
        return False
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature)


# Builders -------------------------------------------------------------------------------------


def principal(tenant_id: int | None) -> Principal:
    return Principal(kind="user", id="tester", tenant_id=tenant_id, permissions=frozenset({"*"}))


async def subscribe(
    database: Database,
    settings: Settings,
    *,
    tenant_id: int | None,
    surface: str,
    url: str,
    events: list[str],
    secret: str | None = None,
) -> tuple[WebhookSubscription, str]:
    async with database.transaction(tenant_id=tenant_id) as session:
        if tenant_id is None:
            allow_all_tenants(session, reason="test builder for the platform owner")
        created = await service.create_subscription(
            session,
            settings=settings,
            surface=surface,
            owner=principal(tenant_id),
            url=url,
            events=events,
            secret=secret,
        )
        return created.subscription, created.secret


async def emit_event(
    database: Database,
    *,
    tenant_id: int | None,
    name: str,
    payload: dict[str, Any],
    surface: str | None = None,
) -> None:
    async with database.transaction(tenant_id=tenant_id) as session:
        if tenant_id is None:
            allow_all_tenants(session, reason="test emits a platform event")
        emit(session, name=name, tenant_id=tenant_id, payload=payload, surface=surface)


async def messages(database: Database, subscription_id: int) -> list[WebhookMessage]:
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="test reads the queue")
        statement = (
            select(WebhookMessage)
            .where(WebhookMessage.subscription_id == subscription_id)
            .order_by(WebhookMessage.id)
        )
        return list((await session.scalars(statement)).all())


async def attempts(database: Database, subscription_id: int) -> list[WebhookAttempt]:
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="test reads the attempt log")
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.subscription_id == subscription_id)
            .order_by(WebhookAttempt.id)
        )
        return list((await session.scalars(statement)).all())


async def subscription(database: Database, subscription_id: int) -> WebhookSubscription:
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="test reads a subscription")
        found = await session.get(WebhookSubscription, subscription_id)
        assert found is not None
        return found
