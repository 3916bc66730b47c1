"""The connector simulator against the collections API: in process, and as `nexo connector simulate`
against a live `nexo serve` over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import func, select
from tests.identity_support import create_tenant

from nexo.app import NexoApplication
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.credentials.connectors import create_link_code
from nexo.receivables.models import Factura
from nexo.receivables.simulator import SimulatedConnector, SimulationOptions

NEXO = str(Path(sys.executable).parent / "nexo")


async def _link_code(database: Database, tenant_id: int) -> str:
    async with database.transaction(tenant_id=tenant_id) as session:
        issued = await create_link_code(session, actor=Principal(kind="user", id="1", tenant_id=tenant_id))
    return issued.code


async def _invoices(database: Database, tenant_id: int) -> int:
    async with database.transaction(tenant_id=tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Factura)) or 0)


async def test_simulated_connector_registers_beats_and_syncs(
    app: NexoApplication, database: Database
) -> None:
    tenant = await create_tenant(database)
    options = SimulationOptions(
        base_url="", link_code=await _link_code(database, tenant.id), clients=7, invoices_per_client=2
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/collections/v1") as http:
        connector = SimulatedConnector(http, options)
        await connector.register()
        assert await connector.heartbeat() == []
        await connector.push(date.today(), 0)
        await connector.push(date.today(), 0)  # the same snapshot again
    first, replay = connector.report.syncs
    assert first["stats"]["nuevos"] == 14 and first["stats"]["clientesActualizados"] == 7
    assert replay["stats"]["sinCambios"] == 14 and replay["stats"]["nuevos"] == 0
    assert await _invoices(database, tenant.id) == 14


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_cli_simulator_against_a_live_server(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    tenant = await create_tenant(database)
    code = await _link_code(database, tenant.id)
    port = _free_port()
    env = {
        **os.environ,
        "NEXO_ENV": "test",
        "NEXO_DATABASE_URL": settings.database_url,
        "NEXO_VAR_DIR": str(tmp_path / "var"),
        "NEXO_SECRET_KEY": "live-secret-" + "k" * 40,
        "NEXO_ENCRYPTION_KEY": "live-encryption-" + "e" * 40,
        "NEXO_WORKERS_IN_PROCESS": "false",
        "NEXO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [NEXO, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(150):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        result = await asyncio.to_thread(
            subprocess.run,
            [
                NEXO,
                "connector",
                "simulate",
                "--base-url",
                f"http://127.0.0.1:{port}/collections/v1",
                "--link-code",
                code,
                "--clients",
                "5",
                "--invoices",
                "2",
                "--rounds",
                "2",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["heartbeats"] == 2 and len(report["syncs"]) == 2
    assert report["syncs"][0]["stats"]["nuevos"] == 10
    assert await _invoices(database, tenant.id) == 10
