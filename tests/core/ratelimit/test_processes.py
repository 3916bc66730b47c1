"""The issue's acceptance test: two real server processes on one Redis and one database enforce one
limit between them, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.core.ratelimit.probes import REDIS_URL, bearer, delete_redis_keys, redis_available, unique_prefix

REPOSITORY = Path(__file__).resolve().parents[3]
WRONG_LOGIN = {"email": "nobody@example.com", "password": "not the password"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    """One uvicorn process serving the probe app; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "tests.core.ratelimit.probe_server:create"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPOSITORY,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert "Traceback" not in stderr, stderr


async def wait_until_up(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(150):
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the server at {base_url} did not start")


@pytest.fixture(scope="module")
async def two_servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str]]:
    """Started once for the module (a start costs seconds); each test uses callers of its own."""
    if not await redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = unique_prefix()
    env = {
        "NEXO_ENV": "test",
        "NEXO_DATABASE_URL": database_url,
        "NEXO_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "NEXO_SECRET_KEY": "test-secret-key-" + "x" * 40,
        "NEXO_ENCRYPTION_KEY": "test-encryption-key-" + "y" * 40,
        "NEXO_LOG_LEVEL": "WARNING",
        "NEXO_REDIS_URL": REDIS_URL,
        "NEXO_RATE_LIMITS_ENABLED": "true",
        "NEXO_RATE_LIMIT_KEY_PREFIX": prefix,
        "NEXO_RATE_LIMIT_OVERRIDES": json.dumps({"collections.default": "5/minute"}),
    }
    try:
        with server(env) as first, server(env) as second:
            await asyncio.gather(wait_until_up(first), wait_until_up(second))
            yield first, second
    finally:
        await delete_redis_keys(prefix)


async def test_a_principal_limit_holds_across_two_processes(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    headers = bearer(id="erin")
    async with httpx.AsyncClient(base_url=first) as a, httpx.AsyncClient(base_url=second) as b:
        responses = [await a.get("/collections/v1/rl-probe/me", headers=headers) for _ in range(3)]
        responses += [await b.get("/collections/v1/rl-probe/me", headers=headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert responses[-1].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(responses[-1].headers["retry-after"]) >= 1


async def test_login_brute_force_is_stopped_across_two_processes(two_servers: tuple[str, str]) -> None:
    """Behind a trusted proxy (uvicorn trusts 127.0.0.1 by default) the limit keys on the client the
    proxy names in X-Forwarded-For."""
    first, second = two_servers
    attacker = {"X-Forwarded-For": "203.0.113.5"}
    async with httpx.AsyncClient(base_url=first) as a, httpx.AsyncClient(base_url=second) as b:
        attempts = []
        for client in (a, b, a, b, a, b):
            attempts.append(
                await client.post("/collections/v1/auth/login", json=WRONG_LOGIN, headers=attacker)
            )
        other = await b.post(
            "/collections/v1/auth/login", json=WRONG_LOGIN, headers={"X-Forwarded-For": "203.0.113.6"}
        )
    assert [r.status_code == 429 for r in attempts] == [False] * 5 + [True]
    assert attempts[-1].headers["ratelimit-policy"] == '"login";q=5;w=900'
    assert other.status_code != 429 and other.headers["x-ratelimit-remaining"] == "4"
