"""`GET /collections/v1/cartera/antiguedad` (aging buckets) over 1,000,000 invoices on PostgreSQL.

Data, written with `INSERT … SELECT generate_series` (every column the application reads): one
tenant with 20,000 clients in three empresas and 1,000,000 invoices (dates over the last year,
15–90 day terms, amounts with cents, 20 % already paid, some partly paid), and three other tenants
with 100,000 invoices each that every query must skip. Then `VACUUM ANALYZE`, as autovacuum would
leave a table that is read far more than it is written.

Measured through HTTP against a `nexo serve` process (one process, no job worker): sequential
requests (p50 / p99), and wrk with 2 connections for the unfiltered case. Beside each, the bare SQL
the route runs (compiled from the same SQLAlchemy expression, with the tenant condition the session
adds) executed directly with asyncpg in the same run: the ceiling. The `before` rows run that SQL
with migration 0011's index dropped inside a transaction that is rolled back (so the table keeps it).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench._collections_data import OWNER_PASSWORD, create_collections_tenant
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
from nexo.receivables import cartera
from nexo.receivables.calendar import day_number, local_today
from nexo.receivables.models import Factura

BENCH = "collections_aging"
INVOICES, CLIENTS, EMPRESAS = 1_000_000, 20_000, 3
OTHER_TENANTS, OTHER_INVOICES, OTHER_CLIENTS = 3, 100_000, 2_000
REQUESTS = 40  # sequential requests per case (and as many bare SQL runs)
NEW_INDEX = "ix_receivable_invoices_open_aging"  # migration 0011
OLD_INDEX = (  # what 0011 replaced
    "CREATE INDEX ix_receivable_invoices_aging ON receivable_invoices "
    "(tenant_id, status, empresa_id, vencimiento_dia)"
)

CLIENTS_SQL = """
INSERT INTO receivable_clients (id, tenant_id, empresa_id, clave, nombre, rfc, direccion, ultimo_pago,
                                content_hash, created_at, updated_at)
SELECT gen_random_uuid(), $1, to_char(1 + n % $3, 'FM00'), 'C' || lpad(n::text, 7, '0'),
       'Cliente ' || n || ' S.A. de C.V.', 'RFC' || lpad(n::text, 9, '0'), '{}'::json,
       current_date - (n % 200), md5(n::text) || md5('c' || n), now(), now()
FROM generate_series(0, $2 - 1) AS n
"""
# Invoice n belongs to client n % clients; its numbers come from cheap hashes of n.
INVOICES_SQL = """
WITH c AS (
    SELECT id, empresa_id, (row_number() OVER (ORDER BY clave)) - 1 AS k
    FROM receivable_clients WHERE tenant_id = $1
), f AS (
    SELECT n, c.id AS cliente_id, c.empresa_id,
           current_date - ((n::bigint * 7919) % 365)::int AS fecha,
           (ARRAY[15, 30, 30, 45, 60, 90])[1 + (n * 31) % 6] AS plazo,
           5000 + (n::bigint * 104729) % 25000000 AS total,
           (n * 13) % 10 AS roll
    FROM generate_series(0, $2 - 1) AS n JOIN c ON c.k = n % $3
)
INSERT INTO receivable_invoices (id, tenant_id, empresa_id, cliente_id, folio, fecha, vencimiento,
                                 vencimiento_dia, total, saldo, status, closed_at, overdue_notified,
                                 content_hash, created_at, updated_at)
SELECT gen_random_uuid(), $1, empresa_id, cliente_id, 'F' || lpad(n::text, 8, '0'), fecha, fecha + plazo,
       (fecha + plazo) - date '1970-01-01', total,
       CASE WHEN roll < 2 THEN 0 WHEN roll < 4 THEN total / 3 ELSE total END,
       CASE WHEN roll < 2 THEN 'pagada' ELSE 'abierta' END,
       CASE WHEN roll < 2 THEN now() END,
       fecha + plazo < current_date,
       md5(n::text) || md5('f' || n), now(), now()
FROM f
"""


SECONDARY_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename = 'receivable_invoices' AND indexname NOT IN ('pk_receivable_invoices',
      'uq_receivable_invoices_tenant_id_empresa_id_folio')
"""


async def seed(url: str) -> tuple[int, str]:
    """Tenants, clients and invoices; returns the main tenant's id and its owner's e-mail."""
    database = Database(url, pool_size=2)
    try:
        run = uuid.uuid4().hex[:6]
        main = await create_collections_tenant(database, f"aging-{run}")
        others = [await create_collections_tenant(database, f"other{n}-{run}") for n in range(OTHER_TENANTS)]
    finally:
        await database.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        # Rows consistent by construction: skip the per-row foreign-key triggers, and build the
        # secondary indexes once at the end rather than row by row (minutes → seconds).
        await connection.execute("SET session_replication_role = replica")
        indexes = await connection.fetch(SECONDARY_INDEXES)
        for index in indexes:
            await connection.execute(f"DROP INDEX {index['indexname']}")
        for tenant, clients, invoices in [
            *((other.tenant_id, OTHER_CLIENTS, OTHER_INVOICES) for other in others),
            (main.tenant_id, CLIENTS, INVOICES),
        ]:
            await connection.execute(CLIENTS_SQL, tenant, clients, EMPRESAS)
            await connection.execute(INVOICES_SQL, tenant, invoices, clients)
        for index in indexes:
            await connection.execute(index["indexdef"])
        await connection.execute("VACUUM ANALYZE receivable_clients")
        await connection.execute("VACUUM ANALYZE receivable_invoices")
    finally:
        await connection.close()
    return main.tenant_id, main.owner_email


def aging_sql(tenant_id: int, today: int, filters: cartera.Filters) -> str:
    """The statement `cartera.aging` runs, with the condition the tenant-scoped session adds."""
    query = cartera.aging_query(today, filters).where(Factura.tenant_id == tenant_id)
    dialect = make_url("postgresql+asyncpg://").get_dialect()()
    compiled = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


async def _timed(run: Callable[[], Awaitable[Any]], times: int) -> list[float]:
    await run()  # warm: connection, plan cache, shared buffers
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def sql_samples(url: str, sql: str) -> list[float]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await _timed(lambda: connection.fetchrow(sql), REQUESTS)
    finally:
        await connection.close()


async def sql_samples_before(url: str, sqls: list[str]) -> list[list[float]]:
    """The same statements with the index of 0010 instead of 0011's, inside a transaction that is
    rolled back (the table keeps 0011's index; only the old one is built, once)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute(f"DROP INDEX {NEW_INDEX}")
            await connection.execute(OLD_INDEX)
            await connection.execute("ANALYZE receivable_invoices")
            samples = []
            for sql in sqls:

                async def query(sql: str = sql) -> None:
                    await connection.fetchrow(sql)

                samples.append(await _timed(query, REQUESTS))
            return samples
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


async def explain(url: str, sql: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in rows)
    finally:
        await connection.close()


async def _token(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post("/auth/login", json={"email": email, "password": OWNER_PASSWORD})
    response.raise_for_status()
    return str(response.json()["tokens"]["accessToken"])


def _cases(today: date) -> list[tuple[str, dict[str, str], cartera.Filters]]:
    desde, hasta = today - timedelta(days=180), today - timedelta(days=90)
    return [
        ("all empresas", {}, cartera.Filters()),
        ("empresaId=02", {"empresaId": "02"}, cartera.Filters(empresa_id="02")),
        (
            "desde/hasta (90 days)",
            {"desde": desde.isoformat(), "hasta": hasta.isoformat()},
            cartera.Filters(desde=desde, hasta=hasta),
        ),
    ]


def _row(case: str, http_ms: list[float], sql_ms: list[float]) -> dict[str, Any]:
    http_p50, sql_p50 = statistics.median(http_ms), statistics.median(sql_ms)
    return {
        "bench": BENCH,
        "case": case,
        "rate/s": 1000 / http_p50,
        "ceiling/s": 1000 / sql_p50,
        "ratio": sql_p50 / http_p50,
        "p50 ms": http_p50,
        "p99 ms": percentile(http_ms, 0.99),
        "notes": f"SQL p50 {sql_p50:.0f} ms",
    }


async def run(url: str, *, show_plans: bool = False) -> list[dict[str, Any]]:
    await asyncio.to_thread(upgrade_to_head, url)
    tenant_id, email = await seed(url)
    today = local_today(None)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = nexo_env(url, Path(tmp), NEXO_RATE_LIMITS_ENABLED="false")
        with running(
            [NEXO, "serve", "--port", str(port), "--no-workers"], env=env, ready_url=f"{base}/healthz"
        ):
            async with httpx.AsyncClient(
                base_url=f"{base}/collections/v1", trust_env=False, timeout=60
            ) as http:
                headers = {"Authorization": f"Bearer {await _token(http, email)}"}
                cases = _cases(today)
                sqls = [aging_sql(tenant_id, day_number(today), filters) for _, _, filters in cases]
                for (case, params, _), sql in zip(cases, sqls, strict=True):
                    if show_plans:
                        print(await explain(url, sql))

                    async def get(params: dict[str, str] = params) -> None:
                        response = await http.get("/cartera/antiguedad", params=params, headers=headers)
                        response.raise_for_status()

                    http_ms = await _timed(get, REQUESTS)
                    rows.append(_row(f"{case}, 1 at a time", http_ms, await sql_samples(url, sql)))
                befores = await sql_samples_before(url, sqls)
                for row, before in zip(rows, befores, strict=True):
                    row["notes"] += f"; with 0010's index instead: {statistics.median(before):.0f} ms"
                wrk = run_wrk(
                    f"{base}/collections/v1/cartera/antiguedad", seconds=5, connections=2, headers=headers
                )
                rows.append(
                    {
                        "bench": BENCH,
                        "case": "all empresas, wrk 2 connections",
                        **wrk.row,
                        "notes": f"{wrk.requests} requests, {wrk.errors} errors",
                    }
                )
    return rows


async def _run() -> list[dict[str, Any]]:
    if not postgres_reachable():
        return [{"bench": BENCH, "case": "skipped", "notes": "PostgreSQL is not reachable"}]
    async with fresh_postgres_database() as url:
        return await run(url)


def main() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
