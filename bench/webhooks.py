"""Webhook delivery: deliveries per second per worker process, and event → delivery latency,
beside the raw rate of plain httpx POSTs to the same receiver (the ceiling), in the same run.

Processes: a receiver (`bench/_receiver.py`, answers 200 at once), one `nexo worker`
(concurrency 16), and this script, which emits events and measures. Databases: a fresh SQLite file,
then a fresh PostgreSQL database when one is reachable (`NEXO_BENCH_POSTGRES_URL`, default
postgres@127.0.0.1:5432).

- ceiling: httpx POSTs of a webhook-sized signed body over keep-alive connections, one at a time and
  16 at a time (the worker's concurrency).
- throughput: 16 subscriptions × 150 events emitted in one transaction = 2,400 deliveries;
  rate = deliveries / (last receipt − commit). This includes fan-out, claiming and the attempt log.
- latency: 200 events, one per transaction, 20 ms apart, to one subscription; time from just before
  the emitting transaction to the receiver's receipt. PostgreSQL wakes the worker with LISTEN/NOTIFY;
  SQLite has no NOTIFY, so a separate worker process polls (50 ms here; a worker inside `nexo serve`
  is woken by the commit itself).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench._support import (
    KEYS,
    NEXO,
    ROOT,
    create_postgres_database,
    drop_database,
    free_port,
    postgres_reachable,
)
from nexo.core.auth.principal import Principal
from nexo.core.db.migrations import upgrade_to_head
from nexo.core.db.session import Database
from nexo.core.events import emit
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.models import Base  # noqa: F401 - every table, for the foreign keys
from nexo.tenants.models import Tenant
from nexo.webhooks import service
from nexo.webhooks.signing import new_webhook_secret, standard_headers

SUBSCRIPTIONS, EVENTS = 16, 150
LATENCY_EVENTS, LATENCY_GAP = 200, 0.02
CONCURRENCY = 16
CEILING_POSTS = 3000
BENCH_SECRET = "bench_secret_of_16+"  # noqa: S105 - a benchmark fixture
TASK = {"title": "Visita a Cliente ABC", "status": "pending", "assigned_to": "user_123"}


class ReceiverProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "bench._receiver", str(self.port)]
        self.process = subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our own module

    async def ready(self, http: httpx.AsyncClient) -> None:
        for _ in range(200):
            try:
                await http.get(f"{self.url}/count")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    async def count(self, http: httpx.AsyncClient) -> tuple[int, float | None]:
        data = (await http.get(f"{self.url}/count")).json()
        return int(data["count"]), data["last"]

    async def wait_for(self, http: httpx.AsyncClient, count: int, *, within: float = 180) -> float:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            seen, last = await self.count(http)
            if seen >= count and last is not None:
                return float(last)
            await asyncio.sleep(0.05)
        raise RuntimeError(f"only {seen} of {count} deliveries arrived")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _sample_request() -> tuple[bytes, dict[str, str]]:
    body = (
        b'{"event":"task.created","timestamp":"2024-01-15T10:30:00Z","data":{"id":"task_001","title":'
        b'"Visita a Cliente ABC","status":"pending","assigned_to":"user_123","seq":null}}'
    )
    headers = standard_headers(
        secrets=[new_webhook_secret()], msg_id="msg_bench", timestamp=int(time.time()), body=body
    )
    return body, {"Content-Type": "application/json", **headers}


async def ceiling(receiver: ReceiverProcess, http: httpx.AsyncClient) -> tuple[float, float]:
    """Plain httpx POSTs per second: one at a time on one client, then CONCURRENCY at a time, each
    sender with a client of its own (faster than sharing one pool; see nexo.webhooks.clients)."""
    body, headers = _sample_request()
    url = f"{receiver.url}/hook"
    clients = [httpx.AsyncClient(trust_env=False) for _ in range(CONCURRENCY)]
    try:

        async def lane(client: httpx.AsyncClient, posts: int) -> None:
            for _ in range(posts):
                await client.post(url, content=body, headers=headers)

        await asyncio.gather(*(lane(client, 20) for client in clients))  # open and warm the connections
        started = time.perf_counter()
        await lane(clients[0], CEILING_POSTS // 3)
        sequential = (CEILING_POSTS // 3) / (time.perf_counter() - started)
        per_lane = CEILING_POSTS // CONCURRENCY
        started = time.perf_counter()
        await asyncio.gather(*(lane(client, per_lane) for client in clients))
        concurrent = per_lane * CONCURRENCY / (time.perf_counter() - started)
    finally:
        for client in clients:
            await client.aclose()
    await http.post(f"{receiver.url}/reset")
    return sequential, concurrent


async def _new_database(kind: str, directory: Path) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    return await create_postgres_database()


async def _setup(settings: Settings, database: Database, receiver_url: str) -> int:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="benchmark setup")
        tenant = Tenant(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    owner = Principal(kind="user", id="bench", tenant_id=tenant_id, permissions=frozenset({"*"}))
    async with database.transaction(tenant_id=tenant_id) as session:
        for n in range(SUBSCRIPTIONS):
            await service.create_subscription(
                session,
                settings=settings,
                surface="tasks",
                owner=owner,
                url=f"{receiver_url}/s{n}",
                events=["task.created"],
                secret=BENCH_SECRET,
            )
        await service.create_subscription(
            session,
            settings=settings,
            surface="tasks",
            owner=owner,
            url=f"{receiver_url}/latency",
            events=["task.completed"],
            secret=BENCH_SECRET,
        )
    return tenant_id


def _start_worker(url: str, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **KEYS,
        "NEXO_ENV": "development",
        "NEXO_DATABASE_URL": url,
        "NEXO_VAR_DIR": str(var_dir),
        "NEXO_LOG_LEVEL": "WARNING",
        "NEXO_WORKER_POLL_SECONDS": "0.05",
    }
    return subprocess.Popen(  # noqa: S603 - our own command
        [NEXO, "worker", "--concurrency", str(CONCURRENCY)], env=env, stdout=subprocess.DEVNULL, cwd=ROOT
    )


async def _emit_one(database: Database, tenant_id: int, name: str, seq: int) -> float:
    started = time.time()
    async with database.transaction(tenant_id=tenant_id) as session:
        emit(session, name=name, tenant_id=tenant_id, payload={"id": f"task_{seq}", **TASK, "seq": seq})
    return started


async def throughput(
    database: Database, tenant_id: int, receiver: ReceiverProcess, http: httpx.AsyncClient
) -> float:
    async with database.transaction(tenant_id=tenant_id) as session:
        for n in range(EVENTS):
            emit(session, name="task.created", tenant_id=tenant_id, payload={"id": f"task_{n}", **TASK})
        committed_from = time.time()
    last = await receiver.wait_for(http, SUBSCRIPTIONS * EVENTS)
    await http.post(f"{receiver.url}/reset")
    return SUBSCRIPTIONS * EVENTS / (last - committed_from)


async def latency(
    database: Database, tenant_id: int, receiver: ReceiverProcess, http: httpx.AsyncClient
) -> tuple[float, float]:
    sent: dict[int, float] = {}
    for seq in range(LATENCY_EVENTS):
        sent[seq] = await _emit_one(database, tenant_id, "task.completed", seq)
        await asyncio.sleep(LATENCY_GAP)
    await receiver.wait_for(http, LATENCY_EVENTS)
    log = (await http.get(f"{receiver.url}/log")).json()
    await http.post(f"{receiver.url}/reset")
    delays = sorted((at - sent[seq]) * 1000 for seq, at in log if seq in sent)
    return statistics.median(delays), delays[int(len(delays) * 0.99) - 1]


async def run_database(kind: str, receiver: ReceiverProcess, http: httpx.AsyncClient) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
        directory = Path(tmp)
        url = await _new_database(kind, directory)
        worker: subprocess.Popen[bytes] | None = None
        database: Database | None = None
        try:
            await asyncio.to_thread(upgrade_to_head, url)
            settings = Settings(
                env="development",
                database_url=url,
                var_dir=directory,
                secret_key=KEYS["NEXO_SECRET_KEY"],
                encryption_key=KEYS["NEXO_ENCRYPTION_KEY"],
            )
            database = Database(settings.database_url, pool_size=4)
            tenant_id = await _setup(settings, database, receiver.url)
            worker = _start_worker(url, directory)
            await _emit_one(database, tenant_id, "task.completed", -1)  # warm-up: worker up, connection open
            await receiver.wait_for(http, 1, within=60)
            await http.post(f"{receiver.url}/reset")
            rate = await throughput(database, tenant_id, receiver, http)
            p50, p99 = await latency(database, tenant_id, receiver, http)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
            if database is not None:
                await database.dispose()
            await drop_database(url)
    return {"rate": rate, "p50": p50, "p99": p99}


async def _run() -> list[dict[str, Any]]:
    receiver = ReceiverProcess()
    try:
        async with httpx.AsyncClient(trust_env=False) as http:
            await receiver.ready(http)
            sequential, concurrent = await ceiling(receiver, http)
            rows: list[dict[str, Any]] = [
                {"bench": "webhooks", "case": "httpx POST, 1 at a time", "rate/s": sequential},
                {
                    "bench": "webhooks",
                    "case": f"httpx POST, {CONCURRENCY} at a time",
                    "rate/s": concurrent,
                    "notes": "the ceiling",
                },
            ]
            kinds = ["sqlite", *(["postgresql"] if postgres_reachable() else [])]
            for kind in kinds:
                result = await run_database(kind, receiver, http)
                rows.append(
                    {
                        "bench": "webhooks",
                        "case": f"{kind}: 1 worker process",
                        "rate/s": result["rate"],
                        "ceiling/s": concurrent,
                        "ratio": result["rate"] / concurrent,
                        "p50 ms": result["p50"],
                        "p99 ms": result["p99"],
                        "notes": "LISTEN/NOTIFY" if kind == "postgresql" else "50 ms poll (no NOTIFY)",
                    }
                )
            return rows
    finally:
        receiver.stop()


def main() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
