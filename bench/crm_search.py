"""Client search (crm §7.1 `?search=`) over 100,000 clients of one tenant, on PostgreSQL, with 64
connections: Nexo's trigram search beside a plain `ILIKE '%term%'` scan with a full `count(*)`,
measured in the same run on the same data.

Data: `bench._crm_data.seed_crm` — 100,000 clients in the measured tenant and 10 other tenants of
2,000 clients each (Spanish names with accents, E.164 phones, e-mails), `ANALYZE`d.

Terms: a mix of what agents type — surname and first-name fragments (`rodriguez`, `maria`, `nuñez`,
…, each in ~3–5 % of the clients), first + last name, phone fragments of 4 to 7 digits, an e-mail
fragment, and terms that match nothing. Every search is page 1 (`limit` 20) with its `total`.

- **nexo: list_clients SQL** — the exact statements `nexo.crm.clients.search.list_clients` issues for
  each term (captured from the SQLAlchemy engine while it runs: the page, then the `count(*)` when
  the page is full), replayed through a pool of 64 asyncpg connections. asyncpg prepares and caches
  statements exactly as SQLAlchemy's asyncpg dialect does, so PostgreSQL's generic plans appear
  here as they do in the server.
- **baseline: ILIKE scan + count(*)** — the same page and a full count written the naive way:
  `first_name ILIKE '%term%' OR last_name … OR phone_number … OR email …` over the tenant's rows (no
  trigram index can serve it), issued through the same session, captured and replayed the same way.
  The ratio compares the two statement sets, not two drivers.
- **nexo: list_clients() via SQLAlchemy** — Nexo's own service function, 64 concurrent sessions on a
  pool of 64: adds the ORM's cost per call (all in this one Python process).
- **HTTP** — `wrk -c64` on `nexo serve --workers 2`, `GET /crm/v1/clients?search=…` rotating the same
  terms (Lua script), signed in as the tenant's crm admin: the whole request (auth, tenancy, the
  search, tags of the page, JSON).

Rate = searches finished per second in the measurement window; p50/p99 = latency of one search
(all its statements). With 64 connections kept busy, Little's law makes p50 ≈ 64 / rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bench._crm_data import CrmSeed, seed_crm
from bench._support import (
    NEXO,
    asyncpg_dsn,
    free_port,
    fresh_postgres_database,
    nexo_env,
    percentile,
    postgres_reachable,
    run_wrk,
    running,
)
from nexo.core.db.migrations import upgrade_to_head
from nexo.core.db.session import Database
from nexo.core.pagination import PageParams
from nexo.crm.clients.models import Client
from nexo.crm.clients.search import ClientFilters, list_clients

BENCH = "crm_search"
CONNECTIONS = 64
CLIENTS, OTHER_TENANTS, OTHER_CLIENTS = 100_000, 10, 2_000
WARM_UP_SECONDS, WINDOW_SECONDS, BASELINE_WINDOW_SECONDS, HTTP_SECONDS = 1.5, 5.0, 6.0, 8
TERMS = (
    "rodriguez", "maria", "nuñez", "gonzalez", "castillo",  # one surname / first name: 3–5 % each
    "maria rodriguez", "jose nunez",  # first + last name
    "2345", "67890", "054321", "0098765",  # phone fragments, 4 to 7 digits
    "camila.77",  # an e-mail fragment
    "zzqx", "xavierx", "qwerty",  # nothing matches
)  # fmt: skip

Statement = tuple[str, Sequence[Any]]
Script = list[Statement]  # what one search sends: the page, then (maybe) the count


@contextlib.contextmanager
def captured(database: Database) -> Iterator[list[Statement]]:
    """The SQL text and parameters the engine sends while the block runs."""
    seen: list[Statement] = []

    def record(
        _conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        seen.append((statement, tuple(parameters)))

    engine = database.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def nexo_search(session: AsyncSession, term: str) -> None:
    await list_clients(session, ClientFilters(search=term), PageParams(page=1, limit=20))


async def ilike_search(session: AsyncSession, term: str) -> None:
    """The naive search: a case-insensitive LIKE on each column, a full count of the matches."""
    pattern = f"%{term}%"
    matches = or_(
        Client.first_name.ilike(pattern),
        Client.last_name.ilike(pattern),
        Client.phone_number.ilike(pattern),
        Client.email.ilike(pattern),
    )
    page = select(Client).where(matches).order_by(Client.id.desc()).limit(20).offset(0)
    list((await session.scalars(page)).all())
    await session.scalar(select(func.count()).select_from(Client).where(matches))


async def scripts_of(
    database: Database, tenant_id: int, search: Callable[[AsyncSession, str], Awaitable[None]]
) -> list[Script]:
    """Per term, the statements `search` sends (run once, in a tenant-scoped read session)."""
    scripts: list[Script] = []
    for term in TERMS:
        async with database.transaction(tenant_id=tenant_id, write=False) as session:
            await session.connection()  # the connection's set-up queries stay out of the capture
            with captured(database) as seen:
                await search(session, term)
        scripts.append(list(seen))
    return scripts


class Window:
    """Searches that finish inside the measurement window, which opens once every caller has
    finished one search and the warm-up has passed (so a slow baseline is in steady state)."""

    def __init__(self, warm_up: float, seconds: float) -> None:
        self.warm_up, self.seconds = warm_up, seconds
        self.start = self.end = math.inf
        self.latencies: list[float] = []

    def open(self) -> None:
        self.start = time.perf_counter()
        self.end = self.start + self.seconds

    def record(self, started: float, finished: float) -> None:
        if self.start <= finished <= self.end:
            self.latencies.append((finished - started) * 1000)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def row(self, case: str, **extra: Any) -> dict[str, Any]:
        p50, p99 = percentile(self.latencies, 0.5), percentile(self.latencies, 0.99)
        return {"bench": BENCH, "case": case, "rate/s": self.rate, "p50 ms": p50, "p99 ms": p99, **extra}


async def closed_loop(run_one: Callable[[int], Awaitable[None]], window: Window) -> None:
    """CONNECTIONS callers, each running searches back to back (rotating terms) until the end."""
    pending = CONNECTIONS
    everyone_once = asyncio.Event()

    async def caller(lane: int) -> None:
        nonlocal pending
        n = lane
        while time.perf_counter() < window.end:
            started = time.perf_counter()
            await run_one(n)
            window.record(started, time.perf_counter())
            if n == lane:
                pending -= 1
                if not pending:
                    everyone_once.set()
            n += 1

    async def opener() -> None:
        await asyncio.sleep(window.warm_up)
        await everyone_once.wait()
        window.open()

    await asyncio.gather(opener(), *(caller(lane) for lane in range(CONNECTIONS)))


async def connection_pool(dsn: str) -> asyncpg.Pool:
    """CONNECTIONS connections, waiting a little when other work holds PostgreSQL's slots."""
    for _ in range(10):
        try:
            return await asyncpg.create_pool(dsn, min_size=CONNECTIONS, max_size=CONNECTIONS)
        except asyncpg.TooManyConnectionsError:
            await asyncio.sleep(3)
    raise RuntimeError(f"PostgreSQL did not accept {CONNECTIONS} more connections")


async def replay(dsn: str, scripts: list[Script], seconds: float) -> Window:
    pool = await connection_pool(dsn)
    try:

        async def run_one(n: int) -> None:
            async with pool.acquire() as connection:
                for sql, params in scripts[n % len(scripts)]:
                    await connection.fetch(sql, *params)

        window = Window(WARM_UP_SECONDS, seconds)
        await closed_loop(run_one, window)
        return window
    finally:
        await pool.close()


async def through_service(url: str, tenant_id: int) -> Window:
    database = Database(url, pool_size=CONNECTIONS)
    try:

        async def run_one(n: int) -> None:
            async with database.transaction(tenant_id=tenant_id, write=False) as session:
                await nexo_search(session, TERMS[n % len(TERMS)])

        window = Window(WARM_UP_SECONDS, WINDOW_SECONDS)
        await closed_loop(run_one, window)
        return window
    finally:
        await database.dispose()


def lua_rotating(paths: Sequence[str]) -> str:
    quoted = ", ".join(f'"{path}"' for path in paths)
    return (
        f"local paths = {{{quoted}}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n  return wrk.format(nil, paths[(n % #paths) + 1])\nend\n"
    )


def over_http(url: str, seed: CrmSeed) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
        env = nexo_env(url, Path(tmp), NEXO_RATE_LIMITS_ENABLED="false", NEXO_DB_POOL_SIZE="16")
        command = [NEXO, "serve", "--workers", "2", "--port", str(port), "--no-workers"]
        with running(command, env=env, ready_url=f"{base}/crm/v1/docs/openapi.json"):
            signed_in = httpx.post(
                f"{base}/crm/v1/auth/login",
                json={"email": seed.admin_email, "password": seed.admin_password},
                trust_env=False,
            )
            signed_in.raise_for_status()
            headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            paths = [f"/crm/v1/clients?search={urllib.parse.quote(term)}" for term in TERMS]
            for path in paths:  # each worker's connections and statement caches warm up
                httpx.get(base + path, headers=headers, trust_env=False).raise_for_status()
            script = Path(tmp) / "rotate.lua"
            script.write_text(lua_rotating(paths))
            result = run_wrk(
                f"{base}/crm/v1/clients", seconds=HTTP_SECONDS, connections=CONNECTIONS, script=script,
                headers=headers,
            )  # fmt: skip
    verdict = "holds" if result.p50_ms < 50 else "misses"
    return {
        "bench": BENCH,
        "case": "HTTP GET /crm/v1/clients?search=, wrk -c64",
        **result.row,
        "notes": f"serve --workers 2; p50 < 50 ms {verdict}; {result.errors} errors",
    }


async def _run() -> list[dict[str, Any]]:
    async with fresh_postgres_database() as url:
        await asyncio.to_thread(upgrade_to_head, url)
        seed = await seed_crm(url, clients=CLIENTS, other_tenants=OTHER_TENANTS, other_clients=OTHER_CLIENTS)
        database = Database(url, pool_size=2)
        try:
            nexo_scripts = await scripts_of(database, seed.tenant_id, nexo_search)
            ilike_scripts = await scripts_of(database, seed.tenant_id, ilike_search)
        finally:
            await database.dispose()
        dsn = asyncpg_dsn(url)
        baseline = await replay(dsn, ilike_scripts, BASELINE_WINDOW_SECONDS)
        nexo = await replay(dsn, nexo_scripts, WINDOW_SECONDS)
        service = await through_service(url, seed.tenant_id)
        base_rate = baseline.rate
        rows = [
            baseline.row("baseline: ILIKE scan + count(*), 64 conns", notes="the floor to beat 20×"),
            nexo.row(
                "nexo: list_clients SQL, 64 conns",
                ratio=nexo.rate / base_rate,
                notes=f"{sum(len(s) for s in nexo_scripts)} statements / {len(TERMS)} terms; ratio vs ILIKE",
            ),
            service.row(
                "nexo: list_clients() via SQLAlchemy, 64 sessions",
                ratio=service.rate / base_rate,
                notes="+ ORM cost, in this process",
            ),
        ]
        rows.append(await asyncio.to_thread(over_http, url, seed))
        return rows


def main() -> list[dict[str, Any]]:
    if not postgres_reachable():
        return [{"bench": BENCH, "case": "skipped", "notes": "no PostgreSQL at NEXO_BENCH_POSTGRES_URL"}]
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
