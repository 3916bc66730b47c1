"""Nexo's HTTP API under load, beside a bare asyncpg + orjson app doing the same work (the ceiling).

One fresh PostgreSQL database (`bench._crm_data.seed_crm`: a tenant with 100,000 crm clients, its
admin, 10 other tenants with 2,000 clients each). Two servers run side by side on 127.0.0.1, both
under uvicorn with 2 worker processes:

- Nexo: `nexo serve --workers 2 --no-workers` (no job worker in the server processes, so nothing
  but requests takes CPU), rate limits off (`NEXO_RATE_LIMITS_ENABLED=false`), log level WARNING;
- the ceiling: `bench/_ceiling_app.py` (its docstring lists exactly what it does per request).

Both accept the same access token (same secret, same sign-in session). Before loading anything the
bench checks that both answer a list and a get with the same bytes. Then `wrk` (1 thread, its own
process) loads each endpoint of each app in turn — Nexo, then the ceiling, endpoint by endpoint so
that the load of other work on the machine hits both alike — for WARMUP_SECONDS unmeasured, then
SECONDS measured:

- list:   GET /crm/v1/clients?search=<term>&page=<1..5>&limit=20, rotating names, two-surname
          searches and phone fragments over five pages;
- get:    GET /crm/v1/clients/{id}, rotating 1,000 random ids of the tenant;
- create: POST /crm/v1/clients, a unique Colombian mobile per request (+57 3xx), with a tag;
- login:  POST /crm/v1/auth/login; Argon2id dominates (both apps verify with pwdlib's defaults).

CONNECTIONS = 32 (16 per server process): enough to keep both processes busy while each request
waits for PostgreSQL, fewer than a process's database connections (Nexo: pool 10 + overflow 10), so
requests queue in the server, not in the pool. Login uses 8: Argon2 is CPU-bound, more connections
only add queueing. wrk's request timeout is 10 s (its 2 s default counted slow answers on a loaded
machine as socket errors); any socket error or non-2xx answer fails the run.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench._ceiling_app import COUNT_SQL
from bench._crm_data import CrmSeed, phone_of, seed_crm
from bench._support import (
    KEYS,
    NEXO,
    WrkResult,
    asyncpg_dsn,
    free_port,
    fresh_postgres_database,
    nexo_env,
    run_wrk,
    running,
)
from nexo.core.db.migrations import upgrade_to_head
from nexo.crm.text import like_pattern, search_needle

SECONDS, WARMUP_SECONDS = 8, 2
CONNECTIONS, LOGIN_CONNECTIONS = 32, 8
SERVER_PROCESSES = 2
GET_IDS = 1_000
PAGES, PAGE_SIZE = 5, 20
TARGETS = {"list": 0.50, "get": 0.50, "create": 0.40, "login": None}
CASES = {
    "list": "GET /clients?search=…&page=… (20)",
    "get": "GET /clients/{id}",
    "create": "POST /clients",
    "login": "POST /auth/login",
}
# Unused by the seed (+57 300–319): one block of ten million numbers per wrk run of create.
CREATE_PREFIXES = {
    ("nexo", False): "320",
    ("nexo", True): "321",
    ("ceiling", False): "322",
    ("ceiling", True): "323",
}


@dataclass(frozen=True)
class BenchData:
    seed: CrmSeed
    ids: list[int]  # clients of the tenant, for get
    list_paths: list[str]  # search + page URLs, for list


@dataclass(frozen=True)
class Server:
    name: str  # "nexo" or "ceiling"
    base: str  # http://127.0.0.1:<port>


def search_terms(seed: CrmSeed) -> list[str]:
    """What people type to find someone: mostly a name and surname or two surnames (60–110 matches
    each, accents or not), a phone fragment (1 and 1,000 matches), an email fragment (~250), and one
    bare first name (~3,300 matches, whose count is the costly query of the mix)."""
    phone_prefix = phone_of(seed.tenant_id, 8_700)[3:10]  # 3xx 0008…: 1,000 of the tenant's numbers
    return [
        "maria rodriguez", "jose perez", "Lucía Gómez", "andres torres", "sofia diaz", "camila rojas",
        "Ramón Cruz", "ines reyes", "perez torres", "munoz alvarez", "castro vargas", "Núñez Peña",
        "gutierrez ortiz", "daniela mendoza", "12345", phone_prefix, "valentina.9", "ximena",
    ]  # fmt: skip


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lua_list(values: list[str]) -> str:
    return "{" + ", ".join(_lua_string(value) for value in values) + "}"


def _auth_header(token: str) -> str:
    return f'wrk.headers["Authorization"] = {_lua_string("Bearer " + token)}\n'


def list_script(token: str, paths: list[str]) -> str:
    return (
        _auth_header(token)
        + f"local paths = {_lua_list(paths)}\n"
        + "local n = 0\n"
        + "function request()\n  n = n + 1\n  return wrk.format('GET', paths[(n % #paths) + 1])\nend\n"
    )


def get_script(token: str, ids: list[int]) -> str:
    return (
        _auth_header(token)
        + f"local ids = {{{', '.join(map(str, ids))}}}\n"
        + "local n = 0\n"
        + "function request()\n  n = n + 1\n"
        + "  return wrk.format('GET', '/crm/v1/clients/' .. ids[(n % #ids) + 1])\nend\n"
    )


def create_script(token: str, prefix: str) -> str:
    """Unique valid phones: +57 <prefix> <thread 1-9> <6-digit counter of that thread>."""
    return (
        _auth_header(token)
        + 'wrk.headers["Content-Type"] = "application/json"\n'
        + "local names = {'Ana', 'Julián', 'Lucía', 'Óscar', 'Renata', 'Tomás'}\n"
        + "local surnames = {'Peña Ruiz', 'Ávila Díaz', 'Gómez', 'Núñez Castro'}\n"
        + "local threads = 0\n"
        + "function setup(thread)\n  threads = threads + 1\n  thread:set('thread_number', threads)\nend\n"
        + "local n = 0\n"
        + "function request()\n  n = n + 1\n"
        + "  local me = thread_number or 1\n"
        + f"  local phone = string.format('+57{prefix}%d%06d', me, n)\n"
        + '  local body = string.format(\'{"phone_number":"%s","first_name":"%s","last_name":"%s",'
        + '"email":"cliente.%d.%d@correo.example","city":"Medellín","lead_status":"new",'
        + '"tags":["nuevo"]}\', phone, names[(n % #names) + 1], surnames[(n % #surnames) + 1], me, n)\n'
        + "  return wrk.format('POST', '/crm/v1/clients', nil, body)\nend\n"
    )


def login_script(seed: CrmSeed) -> str:
    body = orjson.dumps({"email": seed.admin_email, "password": seed.admin_password}).decode()
    return (
        'wrk.method = "POST"\n'
        + 'wrk.path = "/crm/v1/auth/login"\n'
        + 'wrk.headers["Content-Type"] = "application/json"\n'
        + f"wrk.body = {_lua_string(body)}\n"
    )


async def client_ids(url: str, tenant_id: int) -> list[int]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT id FROM crm_clients WHERE tenant_id = $1 ORDER BY random() LIMIT $2", tenant_id, GET_IDS
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


async def list_paths(url: str, seed: CrmSeed) -> list[str]:
    """Each term with the pages a UI would offer for it (up to PAGES), in a shuffled fixed order."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        paths: list[str] = []
        for term in search_terms(seed):
            pattern = like_pattern(search_needle(term))
            total = await connection.fetchval(COUNT_SQL, seed.tenant_id, pattern)
            pages = min(PAGES, max(1, math.ceil(total / PAGE_SIZE)))
            query = urllib.parse.quote(term)
            paths += [
                f"/crm/v1/clients?search={query}&page={n}&limit={PAGE_SIZE}" for n in range(1, pages + 1)
            ]
    finally:
        await connection.close()
    return random.Random(5).sample(paths, len(paths))


def access_token(server: Server, seed: CrmSeed) -> str:
    answer = httpx.post(
        f"{server.base}/crm/v1/auth/login",
        json={"email": seed.admin_email, "password": seed.admin_password},
        timeout=30,
        trust_env=False,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def check_same_bytes(servers: list[Server], token: str, paths: list[str]) -> None:
    """Both apps must answer the same requests with the same bytes, or the ratio compares different work."""
    headers = {"Authorization": f"Bearer {token}"}
    for path in paths:
        bodies = [
            httpx.get(server.base + path, headers=headers, trust_env=False).content for server in servers
        ]
        if bodies[0] != bodies[1]:
            raise RuntimeError(
                f"{path}: Nexo and the ceiling answer differently:\n{bodies[0]!r}\n{bodies[1]!r}"
            )


def load(server: Server, endpoint: str, script: str, directory: Path, *, seconds: int) -> WrkResult:
    """Run wrk with `script`; any answer outside 2xx or any socket error fails the benchmark."""
    path = directory / f"{server.name}-{endpoint}-{seconds}s.lua"
    path.write_text(script, encoding="utf-8")
    connections = LOGIN_CONNECTIONS if endpoint == "login" else CONNECTIONS
    run = run_wrk(
        f"{server.base}/", seconds=seconds, connections=connections, script=path, timeout_seconds=10
    )
    if run.errors:
        raise RuntimeError(
            f"{server.name} {endpoint}: {run.non_2xx} non-2xx answers and {run.errors - run.non_2xx} "
            f"socket errors in {run.requests} requests"
        )
    return run


def scripts(endpoint: str, server: Server, token: str, data: BenchData) -> Iterator[str]:
    """The warm-up script, then the measured one (create needs fresh phones for each)."""
    for measured in (False, True):
        if endpoint == "list":
            yield list_script(token, data.list_paths)
        elif endpoint == "get":
            yield get_script(token, data.ids)
        elif endpoint == "create":
            yield create_script(token, CREATE_PREFIXES[(server.name, measured)])
        else:
            yield login_script(data.seed)


def row(endpoint: str, nexo: WrkResult, ceiling: WrkResult) -> dict[str, Any]:
    ratio = nexo.requests_per_second / ceiling.requests_per_second
    target = TARGETS[endpoint]
    verdict = "" if target is None else f"; target ≥ {target:.2f} {'met' if ratio >= target else 'MISSED'}"
    return {
        "bench": "http_api",
        "case": CASES[endpoint],
        "rate/s": nexo.requests_per_second,
        "ceiling/s": ceiling.requests_per_second,
        "ratio": ratio,
        "p50 ms": nexo.p50_ms,
        "p99 ms": nexo.p99_ms,
        "notes": f"ceiling p50 {ceiling.p50_ms:.1f} / p99 {ceiling.p99_ms:.1f} ms{verdict}",
    }


def start_servers(stack: ExitStack, url: str, directory: Path) -> list[Server]:
    nexo = Server("nexo", f"http://127.0.0.1:{free_port()}")
    ceiling = Server("ceiling", f"http://127.0.0.1:{free_port()}")
    env = nexo_env(url, directory, NEXO_RATE_LIMITS_ENABLED="false")
    port = nexo.base.rsplit(":", 1)[1]
    serve = [NEXO, "serve", "--port", port, "--workers", str(SERVER_PROCESSES), "--no-workers"]
    stack.enter_context(running(serve, env=env, ready_url=f"{nexo.base}/healthz"))
    ceiling_env = {**os.environ, **KEYS, "NEXO_BENCH_CEILING_DSN": asyncpg_dsn(url)}
    port = ceiling.base.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "bench._ceiling_app", port, str(SERVER_PROCESSES)]
    stack.enter_context(running(command, env=ceiling_env, ready_url=f"{ceiling.base}/healthz"))
    return [nexo, ceiling]


def measure(servers: list[Server], data: BenchData, directory: Path) -> list[dict[str, Any]]:
    token = access_token(servers[0], data.seed)
    samples = [*data.list_paths[:4], *(f"/crm/v1/clients/{client_id}" for client_id in data.ids[:4])]
    check_same_bytes(servers, token, samples)
    rows: list[dict[str, Any]] = []
    for endpoint in TARGETS:
        results: dict[str, WrkResult] = {}
        for server in servers:
            warmup, measured = scripts(endpoint, server, token, data)
            load(server, endpoint, warmup, directory, seconds=WARMUP_SECONDS)
            results[server.name] = load(server, endpoint, measured, directory, seconds=SECONDS)
        rows.append(row(endpoint, results["nexo"], results["ceiling"]))
    return rows


async def _run() -> list[dict[str, Any]]:
    async with fresh_postgres_database() as url:
        await asyncio.to_thread(upgrade_to_head, url)
        seed = await seed_crm(url)
        data = BenchData(seed, await client_ids(url, seed.tenant_id), await list_paths(url, seed))
        with tempfile.TemporaryDirectory(prefix="nexo-bench-http-") as tmp, ExitStack() as stack:
            servers = start_servers(stack, url, Path(tmp))
            return await asyncio.to_thread(measure, servers, data, Path(tmp))


def main() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
