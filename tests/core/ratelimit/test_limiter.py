"""Counting over memory and Redis, the moving window, outages, and the headers decisions render to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from limits import parse
from tests.core.ratelimit.probes import (
    REDIS_URL,
    delete_redis_keys,
    redis_available,
    redis_keys,
    unique_prefix,
)

from nexo.core.ratelimit import default_policies
from nexo.core.ratelimit.headers import rate_limit_headers
from nexo.core.ratelimit.limiter import Decision, RateLimiter, SweepThrottledMemoryStorage

FIVE_PER_MINUTE = parse("5/minute")


@pytest.fixture
async def memory_limiter() -> AsyncIterator[RateLimiter]:
    limiter = RateLimiter(default_policies())
    yield limiter
    await limiter.aclose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    if not await redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = unique_prefix()
    yield prefix
    await delete_redis_keys(prefix)


async def hits(limiter: RateLimiter, count: int, key: tuple[str, ...]) -> list[Decision]:
    decisions = []
    for _ in range(count):
        decision = await limiter.hit(FIVE_PER_MINUTE, policy="default", key=key)
        assert decision is not None
        decisions.append(decision)
    return decisions


async def test_memory_counts_down_then_refuses(memory_limiter: RateLimiter) -> None:
    before = time.time()
    decisions = await hits(memory_limiter, 7, ("crm", "default", "user:1"))
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]
    assert all(d.limit == 5 and d.window_seconds == 60 for d in decisions)
    # The window frees a request one minute after the oldest counted one.
    assert before + 60 <= decisions[-1].reset_at <= time.time() + 60
    assert 55 <= decisions[-1].seconds_to_reset() <= 60


async def test_keys_are_counted_apart(memory_limiter: RateLimiter) -> None:
    await hits(memory_limiter, 5, ("crm", "default", "user:1"))
    other_user = await hits(memory_limiter, 1, ("crm", "default", "user:2"))
    other_surface = await hits(memory_limiter, 1, ("collections", "default", "user:1"))
    assert other_user[0].allowed and other_user[0].remaining == 4
    assert other_surface[0].allowed and other_surface[0].remaining == 4


async def test_the_window_moves(memory_limiter: RateLimiter) -> None:
    two_per_second = parse("2/second")
    for _ in range(2):
        assert (await memory_limiter.hit(two_per_second, policy="p", key=("k",))).allowed  # type: ignore[union-attr]
    refused = await memory_limiter.hit(two_per_second, policy="p", key=("k",))
    assert refused is not None and not refused.allowed
    await asyncio.sleep(1.05)  # the window is wall-clock time
    again = await memory_limiter.hit(two_per_second, policy="p", key=("k",))
    assert again is not None and again.allowed


async def test_memory_sweeps_are_throttled(memory_limiter: RateLimiter) -> None:
    """Guards the override of limits' private sweep hook: if limits renames it, this fails."""
    storage = memory_limiter.storage
    assert isinstance(storage, SweepThrottledMemoryStorage)
    await hits(memory_limiter, 1, ("a",))
    first_sweep = storage._last_sweep
    assert first_sweep != float("-inf")
    await hits(memory_limiter, 3, ("b",))
    assert storage._last_sweep == first_sweep


async def test_redis_counts_in_redis_under_the_prefix(redis_prefix: str) -> None:
    limiter = RateLimiter(default_policies(), redis_url=REDIS_URL, key_prefix=redis_prefix)
    try:
        assert limiter.uses_redis
        decisions = await hits(limiter, 6, ("collections", "login", "ip:10.0.0.1"))
        assert [d.allowed for d in decisions] == [True] * 5 + [False]
        assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
        assert await redis_keys(redis_prefix) == [
            f"{redis_prefix}:LIMITER/collections/login/ip:10.0.0.1/5/1/minute"
        ]
    finally:
        await limiter.aclose()


async def test_two_limiters_on_one_redis_share_the_count(redis_prefix: str) -> None:
    first = RateLimiter(default_policies(), redis_url=REDIS_URL, key_prefix=redis_prefix)
    second = RateLimiter(default_policies(), redis_url=REDIS_URL, key_prefix=redis_prefix)
    try:
        key = ("crm", "default", "user:9")
        assert all(d.allowed for d in await hits(first, 3, key))
        later = await hits(second, 3, key)
        assert [d.allowed for d in later] == [True, True, False]
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_unreachable_redis_lets_requests_through(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on the loopback refuses connections at once.
    limiter = RateLimiter(default_policies(), redis_url="redis://127.0.0.1:1/0", key_prefix=unique_prefix())
    attempts = 0
    real_hit = limiter._strategy.hit

    async def counting_hit(*args: Any, **kwargs: Any) -> bool:
        nonlocal attempts
        attempts += 1
        return await real_hit(*args, **kwargs)

    monkeypatch.setattr(limiter._strategy, "hit", counting_hit)
    try:
        assert await limiter.hit(FIVE_PER_MINUTE, policy="p", key=("k",)) is None
        assert await limiter.hit(FIVE_PER_MINUTE, policy="p", key=("k",)) is None
        assert attempts == 1  # the second request did not wait on Redis again
        limiter._store_down_until = 0.0  # the back-off is over: Redis is tried again
        assert await limiter.hit(FIVE_PER_MINUTE, policy="p", key=("k",)) is None
        assert attempts == 2
    finally:
        await limiter.aclose()
    outage_lines = [r for r in caplog.records if "rate-limit store unreachable" in r.getMessage()]
    assert len(outage_lines) == 1  # logged once, not once per failure


def test_limits_uri_for_every_redis_scheme() -> None:
    from nexo.core.ratelimit.limiter import _limits_uri

    assert _limits_uri("redis://:pw@cache:6379/2") == "async+redis://:pw@cache:6379/2"
    assert _limits_uri("rediss://cache:6380/0") == "async+rediss://cache:6380/0"
    assert _limits_uri("unix:///run/redis.sock?db=1") == "async+redis+unix:///run/redis.sock?db=1"


def decision(
    policy: str, *, remaining: int, allowed: bool = True, limit: int = 5, window: int = 60
) -> Decision:
    return Decision(
        policy=policy,
        limit=limit,
        window_seconds=window,
        remaining=remaining,
        reset_at=1_000_030.2,
        allowed=allowed,
    )


def test_headers_of_an_allowed_request() -> None:
    headers = rate_limit_headers([decision("login", remaining=3, window=900)], now=1_000_000.0)
    assert headers == {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "3",
        "X-RateLimit-Reset": "1000031",  # epoch seconds, as collections §1.3 shows
        "RateLimit-Policy": '"login";q=5;w=900',
        "RateLimit": '"login";r=3;t=31',  # delta seconds, as the IETF draft says
    }


def test_headers_of_a_refused_request_carry_retry_after() -> None:
    headers = rate_limit_headers([decision("default", remaining=0, allowed=False)], now=1_000_000.0)
    assert headers["Retry-After"] == "31"
    assert headers["RateLimit"] == '"default";r=0;t=31'


def test_headers_with_two_quotas_list_both_and_report_the_tighter() -> None:
    ip = decision("auth", remaining=15, limit=20)
    user = decision("default", remaining=2, limit=100)
    headers = rate_limit_headers([ip, user], now=1_000_000.0)
    assert headers["RateLimit-Policy"] == '"auth";q=20;w=60, "default";q=100;w=60'
    assert headers["RateLimit"] == '"auth";r=15;t=31, "default";r=2;t=31'
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("100", "2")
    assert "Retry-After" not in headers
    assert rate_limit_headers([]) == {}
