"""HTTP clients for deliveries: SSRF-checked, pinned to the checked addresses, reused.

A delivery must only ever connect to addresses that passed the SSRF guard, so every client is built
on `pinned_transport(resolve_and_check(url))`. Resolving and connecting afresh for every message
would cost a DNS lookup and a TCP (and TLS) handshake per delivery, so a client is kept per
destination (scheme, host, port) and reused; the name is resolved and checked again after
`RECHECK_SECONDS`, and a changed answer gets a new client. Connections therefore never reach an
address that was not checked, and DNS changes are followed within a minute.

Several subscriptions often point at one host. Sharing one httpx pool among many concurrent senders
costs more CPU than the requests themselves (measured: 16 concurrent senders on one pool ran at less
than half the rate of 16 pools), so each destination gets `LANES` clients and a subscription always
uses the same lane (`lane = subscription id % LANES`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from nexo.webhooks.ssrf import ResolvedTarget, pinned_transport, resolve_and_check

RECHECK_SECONDS = 60.0
LANES = 8
MAX_DESTINATIONS = 256


@dataclass(slots=True)
class _Entry:
    target: ResolvedTarget
    client: httpx.AsyncClient
    checked_at: float


class DeliveryClients:
    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._tls: ssl.SSLContext | None = None  # one for all clients: loading the CA store is slow
        self._entries: OrderedDict[tuple[str, str, int | None, int], _Entry] = OrderedDict()
        self._locks: dict[tuple[str, str, int | None, int], asyncio.Lock] = {}

    async def client_for(self, url: str, *, lane: int = 0) -> httpx.AsyncClient:
        """A client that may send to `url`. Raises `UnsafeDestination` for a refused destination and
        `OSError` when the name does not resolve (both are failed attempts to the caller)."""
        parts = urlsplit(url)
        key = (parts.scheme, (parts.hostname or "").rstrip("."), parts.port, lane % LANES)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry.checked_at < RECHECK_SECONDS:
                self._entries.move_to_end(key)
                return entry.client
            target = await resolve_and_check(url, allow_private=self.allow_private)
            if entry is not None and entry.target.addresses == target.addresses:
                entry.checked_at = time.monotonic()
                return entry.client
            if entry is not None:
                await entry.client.aclose()
            client = self._new_client(target)
            self._entries[key] = _Entry(target, client, time.monotonic())
            self._entries.move_to_end(key)
        await self._evict()
        return client

    def _new_client(self, target: ResolvedTarget) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=pinned_transport(target, verify=self._tls_context()),
            trust_env=False,  # proxies from the environment would bypass the pinned addresses
            follow_redirects=False,
            timeout=httpx.Timeout(self.timeout),
        )

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def _evict(self) -> None:
        while len(self._entries) > MAX_DESTINATIONS:
            key, entry = self._entries.popitem(last=False)
            self._locks.pop(key, None)
            await entry.client.aclose()

    async def aclose(self) -> None:
        entries = list(self._entries.values())
        self._entries.clear()
        self._locks.clear()
        for entry in entries:
            await entry.client.aclose()
