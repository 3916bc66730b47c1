"""`nexo worker` as separate processes: one is killed with SIGKILL in the middle of a burst, another
finishes the work after the dead one's leases expire, and a SIGTERM stops a worker cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.core.jobs.support import eventually
from tests.webhooks.support import (
    Received,
    Receiver,
    Reply,
    emit_event,
    free_port,
    messages,
    subscribe,
    verify_standard,
)

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.webhooks.models import DELIVERED

NEXO = str(Path(sys.executable).parent / "nexo")
SUBSCRIPTIONS, EVENTS = 4, 60
SECRET = "secreto_para_el_burst_de_prueba"


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _start_worker(
    settings: Settings, tmp_path: Path, started: list[subprocess.Popen[bytes]], name: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEXO_ENV": "test",
        "NEXO_DATABASE_URL": settings.database_url,
        "NEXO_VAR_DIR": str(tmp_path / "var"),
        "NEXO_SECRET_KEY": settings.resolved_secret_key(),
        "NEXO_ENCRYPTION_KEY": settings.resolved_encryption_key(),
        "NEXO_JOB_LEASE_SECONDS": "2",
        "NEXO_WORKER_POLL_SECONDS": "0.1",
        "NEXO_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [NEXO, "worker", "--concurrency", "8"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    started.append(process)
    return process


async def test_killing_a_worker_mid_burst_loses_nothing(
    database: Database, settings: Settings, tenant: int, tmp_path: Path, spawn: list[subprocess.Popen[bytes]]
) -> None:
    async def slow_ok(request: Received) -> Reply:
        await asyncio.sleep(0.01)
        return 200, {}, b"ok"

    receiver = Receiver(respond=slow_ok)
    await receiver.start()
    try:
        subs = [
            (
                await subscribe(
                    database,
                    settings,
                    tenant_id=tenant,
                    surface="tasks",
                    url=receiver.url(f"/s{n}"),
                    events=["task.*"],
                    secret=SECRET,
                )
            )[0]
            for n in range(SUBSCRIPTIONS)
        ]
        for n in range(EVENTS):
            await emit_event(database, tenant_id=tenant, name="task.updated", payload={"id": f"task_{n:03d}"})
        total = SUBSCRIPTIONS * EVENTS

        doomed = _start_worker(settings, tmp_path, spawn, "doomed")
        await eventually(lambda: len(receiver.requests) >= total // 4, within=60)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        at_kill = len(receiver.requests)
        assert at_kill < total, "the burst finished before the kill; nothing was tested"

        rescuer = _start_worker(settings, tmp_path, spawn, "rescuer")
        for _ in range(900):  # the dead worker's jobs come back once their 2 s leases expire
            if await _all_delivered(database, [sub.id for sub in subs]):
                break
            await asyncio.sleep(0.1)
        rescuer.send_signal(signal.SIGTERM)
        assert rescuer.wait(30) == 0
    finally:
        await receiver.stop()

    first_seen: dict[str, Received] = {}
    order: dict[str, list[str]] = defaultdict(list)
    for request in receiver.requests:
        verify_standard(SECRET, request)
        if request.webhook_id in first_seen:
            assert request.body == first_seen[request.webhook_id].body  # a duplicate is the same message
            continue
        first_seen[request.webhook_id] = request
        order[request.path].append(request.json["data"]["id"])
    expected = [f"task_{n:03d}" for n in range(EVENTS)]
    assert all(order[f"/s{n}"] == expected for n in range(SUBSCRIPTIONS))  # every event, in order
    assert await _all_delivered(database, [sub.id for sub in subs])
    assert len(first_seen) == total


async def _all_delivered(database: Database, subscription_ids: list[int]) -> bool:
    for subscription_id in subscription_ids:
        if {m.status for m in await messages(database, subscription_id)} != {DELIVERED}:
            return False
    return True


def _serve(settings: Settings, tmp_path: Path, started: list[subprocess.Popen[bytes]], *flags: str) -> int:
    port = free_port()
    env = {
        **os.environ,
        "NEXO_ENV": "test",
        "NEXO_DATABASE_URL": settings.database_url,
        "NEXO_VAR_DIR": str(tmp_path / "var"),
        "NEXO_SECRET_KEY": settings.resolved_secret_key(),
        "NEXO_ENCRYPTION_KEY": settings.resolved_encryption_key(),
        "NEXO_WORKER_POLL_SECONDS": "0.1",
        "NEXO_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / f"serve{port}.log").open("wb")
    command = [NEXO, "serve", "--port", str(port), *flags]
    started.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
    return port


async def _wait_until_up(port: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("nexo serve did not come up")


async def test_serve_delivers_with_its_in_process_worker_unless_told_not_to(
    database: Database,
    settings: Settings,
    tenant: int,
    receiver: Receiver,
    tmp_path: Path,
    spawn: list[subprocess.Popen[bytes]],
) -> None:
    await subscribe(
        database, settings, tenant_id=tenant, surface="tasks", url=receiver.url(), events=["task.*"]
    )
    quiet = _serve(settings, tmp_path, spawn, "--no-workers")
    await _wait_until_up(quiet)
    await emit_event(database, tenant_id=tenant, name="task.created", payload={"id": "task_1"})
    await asyncio.sleep(1.5)
    assert receiver.requests == []  # `--no-workers`: the server alone delivers nothing

    _serve(settings, tmp_path, spawn)
    await eventually(lambda: len(receiver.requests) == 1, within=20)
    assert receiver.requests[0].json["data"] == {"id": "task_1"}
