"""`POST /collections/v1/sync/cartera` with a snapshot of 10,000 clients and 100,000 invoices, through
HTTP to a `nexo serve` process (one process, no in-process job worker), on PostgreSQL and SQLite.

Data (`bench/_collections_data.py`): 1–3 contacts and an address per client, about ten invoices per
client (at least one, some with dozens), invoice dates over the last year, amounts with cents, 5 %
already paid. The body is ~15 MB, above the global `NEXO_MAX_BODY_BYTES` (5 MiB): the sync route
has its own limit, `NEXO_SYNC_MAX_BODY_BYTES` (32 MiB).

Cases, each one POST timed by the client:
- first sync: everything is new. Ceiling: PostgreSQL's COPY of the same rows (clients, contacts,
  invoices) into the same tables for another tenant, with asyncpg — the fastest the database takes
  them; ratio = sync rate / COPY rate.
- identical re-sync: the same snapshot again (a replay: recorded without diffing, see
  `receivables.sync.is_replay`); ratio = its time / the first sync's.
- same rows, other order: the same clients in reverse order, so the checksum differs and the full
  path runs (validate, hash every row, compare with the stored hashes) and writes nothing.
- 1 % paid: one invoice in a hundred has a lower saldo (→ 1,000 UPDATEs and `pago.registrado`).
Memory: the server's peak RSS during each request minus its RSS before (`VmHWM` reset through
`/proc/<pid>/clear_refs`, so each case has its own peak).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._collections_data import CollectionsTenant, create_collections_tenant, portfolio, with_payments
from bench._support import (
    NEXO,
    asyncpg_dsn,
    create_postgres_database,
    drop_database,
    free_port,
    nexo_env,
    postgres_reachable,
    running,
)
from nexo.core.db.migrations import upgrade_to_head
from nexo.core.db.session import Database
from nexo.receivables.calendar import local_today
from nexo.receivables.simulator import SimulatedConnector, SimulationOptions, sync_body
from nexo.receivables.sync import invoice_digest

BENCH = "collections_sync"
CLIENTS, INVOICES = 10_000, 100_000
PAID_EVERY = 100  # 1 % of the invoices get a payment in the modified re-sync
MIB = 1024 * 1024


def _server_pid(port: int) -> int:
    """The `nexo serve --port <port>` process among this process's children (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"serve" in cmdline and str(port).encode() in cmdline:
            return int(entry.name)
    raise RuntimeError(f"no server process on port {port}")


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/{pid}/status")


class ServerMemory:
    """Peak RSS growth of a process over a block of work, in MiB."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def start(self) -> int:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        return _status_kib(self.pid, "VmRSS")

    def growth_mib(self, before_kib: int) -> float:
        return (_status_kib(self.pid, "VmHWM") - before_kib) / 1024


async def _push(
    http: httpx.AsyncClient, connector: SimulatedConnector, body: bytes, memory: ServerMemory
) -> tuple[float, float, dict[str, int]]:
    before = memory.start()
    started = time.perf_counter()
    response = await http.post(
        "/sync/cartera", content=body, headers={**connector.headers, "Content-Type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"sync answered {response.status_code}: {response.text[:500]}")
    return elapsed, memory.growth_mib(before), response.json()["stats"]


def _copy_records(
    tenant_id: int, data: dict[str, Any], now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The snapshot as the rows the sync writes, for the COPY ceiling."""
    clients, contacts, invoices = [], [], []
    for cliente in data["clientes"]:
        client_id = uuid.uuid4()
        clients.append(
            (
                client_id,
                tenant_id,
                "01",
                cliente["clave"],
                cliente["nombre"],
                cliente["rfc"],
                "{}",
                None,
                "0" * 64,
                now,
                now,
            )
        )
        for position, contact in enumerate(cliente["contactos"]):
            contacts.append(
                (
                    uuid.uuid4(),
                    tenant_id,
                    client_id,
                    position,
                    contact["nombre"],
                    contact["email"],
                    contact["telefono"],
                    position == 0,
                )
            )
        for factura in cliente["facturas"]:
            due = date.fromisoformat(factura["vencimiento"])
            saldo = int(factura["saldo"] * 100)
            invoices.append(
                (
                    uuid.uuid4(),
                    tenant_id,
                    "01",
                    client_id,
                    factura["folio"],
                    date.fromisoformat(factura["fecha"]),
                    due,
                    (due - date(1970, 1, 1)).days,
                    int(factura["total"] * 100),
                    saldo,
                    "abierta" if saldo else "pagada",
                    None,
                    False,
                    invoice_digest(
                        cliente["clave"],
                        date.fromisoformat(factura["fecha"]),
                        due,
                        factura["total"],
                        factura["saldo"],
                        "abierta",
                    ),
                    now,
                    now,
                )
            )
    return clients, contacts, invoices


CLIENT_COLUMNS = (
    "id",
    "tenant_id",
    "empresa_id",
    "clave",
    "nombre",
    "rfc",
    "direccion",
    "ultimo_pago",
    "content_hash",
    "created_at",
    "updated_at",
)
CONTACT_COLUMNS = ("id", "tenant_id", "cliente_id", "position", "nombre", "email", "telefono", "principal")
INVOICE_COLUMNS = (
    "id",
    "tenant_id",
    "empresa_id",
    "cliente_id",
    "folio",
    "fecha",
    "vencimiento",
    "vencimiento_dia",
    "total",
    "saldo",
    "status",
    "closed_at",
    "overdue_notified",
    "content_hash",
    "created_at",
    "updated_at",
)


async def copy_ceiling(url: str, tenant_id: int, data: dict[str, Any]) -> float:
    """Seconds PostgreSQL's COPY takes to write the snapshot's rows (one transaction)."""
    clients, contacts, invoices = _copy_records(tenant_id, data, datetime.now(UTC))
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "receivable_clients", records=clients, columns=CLIENT_COLUMNS
            )
            await connection.copy_records_to_table(
                "receivable_contacts", records=contacts, columns=CONTACT_COLUMNS
            )
            await connection.copy_records_to_table(
                "receivable_invoices", records=invoices, columns=INVOICE_COLUMNS
            )
        return time.perf_counter() - started
    finally:
        await connection.close()


async def _database(kind: str, directory: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    return await create_postgres_database()


async def _tenants(url: str, count: int) -> list[CollectionsTenant]:
    database = Database(url, pool_size=2)
    try:
        return [
            await create_collections_tenant(database, f"sync{n}-{uuid.uuid4().hex[:6]}") for n in range(count)
        ]
    finally:
        await database.dispose()


def _row(kind: str, case: str, seconds: float, **extra: Any) -> dict[str, Any]:
    return {"bench": BENCH, "case": f"{kind}: {case}", "rate/s": INVOICES / seconds, **extra}


async def run_database(kind: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
        directory = Path(tmp)
        url = await _database(kind, directory)
        try:
            await asyncio.to_thread(upgrade_to_head, url)
            tenants = await _tenants(url, 2 if kind == "postgresql" else 1)
            today = local_today(None)
            data = portfolio(clients=CLIENTS, invoices=INVOICES, today=today)
            stamp = f"{today.isoformat()}T12:00:00Z"
            body = sync_body("01", data, stamp)
            reordered = sync_body("01", {"clientes": data["clientes"][::-1]}, stamp)
            paid_data, paid_count = with_payments(data, every=PAID_EVERY)
            paid = sync_body("01", paid_data, stamp)
            ceiling = await copy_ceiling(url, tenants[1].tenant_id, data) if kind == "postgresql" else None
            del paid_data
            port = free_port()
            env = nexo_env(url, directory, NEXO_RATE_LIMITS_ENABLED="false")
            base = f"http://127.0.0.1:{port}"
            with running(
                [NEXO, "serve", "--port", str(port), "--no-workers"], env=env, ready_url=f"{base}/healthz"
            ):
                memory = ServerMemory(_server_pid(port))
                options = SimulationOptions(base_url=f"{base}/collections/v1", link_code=tenants[0].link_code)
                async with httpx.AsyncClient(base_url=options.base_url, timeout=600, trust_env=False) as http:
                    connector = SimulatedConnector(http, options)
                    await connector.register()
                    await connector.heartbeat()
                    first, first_mib, first_stats = await _push(http, connector, body, memory)
                    again, again_mib, again_stats = await _push(http, connector, body, memory)
                    other, other_mib, other_stats = await _push(http, connector, reordered, memory)
                    modified, modified_mib, modified_stats = await _push(http, connector, paid, memory)
            assert first_stats["nuevos"] == INVOICES and again_stats["sinCambios"] == INVOICES
            assert other_stats["sinCambios"] == INVOICES and modified_stats["modificados"] == paid_count
        finally:
            await drop_database(url)
    size = f"{len(body) / MIB:.1f} MiB body"
    first_row = _row(
        kind, "first sync (all new)", first, notes=f"{first:.1f} s, RSS +{first_mib:.0f} MiB, {size}"
    )
    if ceiling is not None:
        first_row |= {"ceiling/s": INVOICES / ceiling, "ratio": ceiling / first}
        first_row["notes"] += f"; ceiling: COPY of the same rows {ceiling:.1f} s"
    return [
        first_row,
        _row(
            kind,
            "identical re-sync (replay)",
            again,
            ratio=again / first,
            notes=f"{again:.2f} s, RSS +{again_mib:.0f} MiB; ratio = time / first sync's",
        ),
        _row(
            kind,
            "same rows, other order (full diff)",
            other,
            ratio=other / first,
            notes=f"{other:.2f} s, RSS +{other_mib:.0f} MiB; nothing written",
        ),
        _row(
            kind,
            f"{paid_count:,} invoices paid (1 %)",
            modified,
            ratio=modified / first,
            notes=f"{modified:.2f} s, RSS +{modified_mib:.0f} MiB; {paid_count:,} UPDATEs + pago.registrado",
        ),
    ]


async def _run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kind in [*(["postgresql"] if postgres_reachable() else []), "sqlite"]:
        rows.extend(await run_database(kind))
    return rows


def main() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
