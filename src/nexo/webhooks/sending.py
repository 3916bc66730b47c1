"""One HTTP attempt: build the signed request, POST it safely, and describe what happened.

Nothing here touches the database. `DeliveryContext` holds what attempts need from the process
(settings, the secret box, the reusable clients); workers configure it once, tests may install
their own for a block of code with `using_delivery`.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx

from nexo.core.jobs import clock
from nexo.core.security.secretbox import SecretBox, derive_fernet_key
from nexo.core.settings import Settings, get_settings
from nexo.webhooks.clients import DeliveryClients
from nexo.webhooks.formats import USER_AGENT, DeliveryFormat
from nexo.webhooks.retry import classify_response
from nexo.webhooks.signing import SECRET_PREFIX, standard_headers
from nexo.webhooks.ssrf import UnsafeDestination

EXCERPT_BYTES = 2048
MAX_ERROR_CHARS = 500
OutcomeKind = Literal["success", "failure", "gone", "refused"]


@dataclass(slots=True)
class DeliveryContext:
    settings: Settings
    box: SecretBox
    clients: DeliveryClients
    rng: random.Random

    @classmethod
    def from_settings(cls, settings: Settings, *, rng: random.Random | None = None) -> DeliveryContext:
        clients = DeliveryClients(
            allow_private=settings.webhooks_may_reach_private(), timeout=settings.webhook_timeout_seconds
        )
        return cls(settings=settings, box=box_for(settings), clients=clients, rng=rng or random.Random())

    async def aclose(self) -> None:
        await self.clients.aclose()


_default: DeliveryContext | None = None
_override: ContextVar[DeliveryContext | None] = ContextVar("nexo_delivery_context", default=None)


def configure_delivery(settings: Settings) -> DeliveryContext:
    """Make a context from `settings` the process default (workers call this at start)."""
    global _default
    _default = DeliveryContext.from_settings(settings)
    return _default


def delivery_context() -> DeliveryContext:
    context = _override.get() or _default
    return context if context is not None else configure_delivery(get_settings())


@contextmanager
def using_delivery(context: DeliveryContext) -> Iterator[DeliveryContext]:
    token = _override.set(context)
    try:
        yield context
    finally:
        _override.reset(token)


def box_for(settings: Settings) -> SecretBox:
    """The box webhook secrets are encrypted with at rest (a key derived for this purpose only)."""
    return SecretBox([derive_fernet_key(settings.resolved_encryption_key().encode(), "webhooks")])


# Secrets -------------------------------------------------------------------------------------


def standard_secret(secret: str) -> str:
    """The Standard Webhooks form of a subscriber's secret.

    Secrets we generate are already `whsec_<base64>`. A secret the subscriber chose (the tasks and
    collections specs let them) is used as raw key bytes, i.e. `whsec_` + base64(UTF-8 bytes), so
    `standardwebhooks.Webhook(secret.encode())` verifies with the very string they chose.
    """
    if secret.startswith(SECRET_PREFIX):
        return secret
    return SECRET_PREFIX + base64.b64encode(secret.encode("utf-8")).decode("ascii")


@dataclass(frozen=True, slots=True)
class SigningSecrets:
    current: str
    previous: str | None  # still signing during a rotation's overlap window

    @property
    def for_own_signature(self) -> str:
        """Single-signature schemes (X-Reten-Signature, the platform body) keep the secret the
        receiver already has until the overlap ends, so rotating never breaks a receiver that has
        not deployed the new secret yet."""
        return self.previous or self.current

    @property
    def standard(self) -> list[str]:
        """Standard Webhooks carries every live secret, newest first."""
        return [standard_secret(s) for s in (self.current, self.previous) if s is not None]


def signing_secrets(
    box: SecretBox, *, current: str, previous: str | None, previous_expires_at: datetime | None
) -> SigningSecrets:
    live = previous is not None and previous_expires_at is not None and previous_expires_at > clock.now()
    return SigningSecrets(box.decrypt(current), box.decrypt(previous) if live and previous else None)


# One attempt ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    attempted_at: datetime
    duration_ms: int
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "success"


def build_request(
    fmt: DeliveryFormat,
    *,
    msg_id: str,
    event: str,
    occurred_at: datetime,
    data: dict[str, object],
    secrets: SigningSecrets,
) -> tuple[bytes, dict[str, str]]:
    """The exact body bytes and headers of one attempt (the timestamp header is this attempt's)."""
    own = secrets.for_own_signature
    body = fmt.body(event=event, occurred_at=occurred_at, data=data, secret=own)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **standard_headers(secrets=secrets.standard, msg_id=msg_id, timestamp=int(time.time()), body=body),
        **fmt.extra_headers(body=body, secret=own),
    }
    return body, headers


async def _read_excerpt(response: httpx.Response) -> bytes:
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= EXCERPT_BYTES:
            break
    return collected[:EXCERPT_BYTES]


async def post(
    context: DeliveryContext, url: str, body: bytes, headers: dict[str, str], *, lane: int = 0
) -> Outcome:
    """POST once; never raises for anything the receiver or the network does."""
    attempted_at = clock.now()
    started = time.perf_counter()

    def done(kind: OutcomeKind, **fields: object) -> Outcome:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Outcome(kind, attempted_at, elapsed, **fields)  # type: ignore[arg-type]

    try:
        client = await context.clients.client_for(url, lane=lane)
        async with asyncio.timeout(context.settings.webhook_timeout_seconds):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                excerpt = await _read_excerpt(response)
    except UnsafeDestination as exc:
        return done("refused", error=f"refused: {exc.reason}"[:MAX_ERROR_CHARS])
    except TimeoutError:
        seconds = context.settings.webhook_timeout_seconds
        return done("failure", error=f"no response within {seconds:g} s")
    except (httpx.HTTPError, OSError) as exc:
        return done("failure", error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS] or "connection failed")
    verdict = classify_response(response.status_code)
    kind: OutcomeKind = "success" if verdict == "success" else "gone" if verdict == "disable" else "failure"
    return done(
        kind,
        status_code=response.status_code,
        excerpt=excerpt.decode("utf-8", errors="replace"),
        error=None if kind == "success" else f"HTTP {response.status_code}",
        retry_after=response.headers.get("retry-after"),
    )
