"""A fake on-premise connector, for demos, tests and benchmarks (`nexo connector simulate`).

It speaks the connector side of the collections API over real HTTP: registers with a link code,
sends heartbeats, and pushes generated full snapshots (sizes configurable, reproducible by seed) with
the checksum computed as docs/collections.md defines it. A "sync_now" command received in a
heartbeat triggers one more push.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    base_url: str  # the collections API base, e.g. http://127.0.0.1:8000/collections/v1
    link_code: str
    clients: int = 20
    invoices_per_client: int = 3
    rounds: int = 1  # snapshots to push
    interval_seconds: float = 0.0  # pause between rounds (a heartbeat is sent in each)
    empresa_id: str = "01"
    seed: int = 1
    timeout: float = 60.0


@dataclass(slots=True)
class SimulationReport:
    connector_id: str = ""
    heartbeats: int = 0
    commands: list[str] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value).encode())
    raise TypeError(type(value).__name__)


def canonical_bytes(data: Any) -> bytes:
    """The canonical form of generated data: orjson with sorted keys writes exactly the documented
    rule (no spaces, UTF-8, decimals with their digits)."""
    return orjson.dumps(data, default=_decimal, option=orjson.OPT_SORT_KEYS)


def generate_portfolio(*, clients: int, invoices_per_client: int, seed: int, today: date) -> dict[str, Any]:
    rng = random.Random(seed)  # reproducible data, not a secret
    clientes = []
    for number in range(1, clients + 1):
        facturas = []
        for index in range(invoices_per_client):
            due = today + timedelta(days=rng.randint(-120, 30))
            total = Decimal(rng.randint(10_000, 5_000_000)) / 100
            saldo = total if rng.random() < 0.7 else (total / 2).quantize(Decimal("0.01"))
            facturas.append(
                {
                    "folio": f"F-{number:06d}-{index:03d}",
                    "fecha": (due - timedelta(days=30)).isoformat(),
                    "vencimiento": due.isoformat(),
                    "total": total,
                    "saldo": saldo,
                }
            )
        clientes.append(
            {
                "clave": f"C{number:06d}",
                "nombre": f"Cliente {number} S.A. de C.V.",
                "rfc": f"CLI{number:06d}AB1"[:13],
                "facturas": facturas,
                "contactos": [{"nombre": f"Contacto {number}", "email": f"cobranza{number}@cliente.example"}],
            }
        )
    return {"clientes": clientes}


def sync_body(empresa_id: str, data: dict[str, Any], timestamp: str) -> bytes:
    checksum = hashlib.sha256(canonical_bytes(data)).hexdigest()
    body = {"empresaId": empresa_id, "timestamp": timestamp, "checksum": checksum, "data": data}
    return orjson.dumps(body, default=_decimal)


class SimulatedConnector:
    def __init__(self, http: httpx.AsyncClient, options: SimulationOptions) -> None:
        self.http, self.options = http, options
        self.report = SimulationReport()
        self.headers: dict[str, str] = {}

    async def register(self) -> None:
        response = await self.http.post(
            "/connectors/register",
            json={
                "linkCode": self.options.link_code,
                "nombre": "Conector simulado",
                "machineFingerprint": f"simulator-{self.options.seed}",
                "version": "2.0.0",
                "empresas": [{"id": self.options.empresa_id, "nombre": "Empresa simulada"}],
            },
        )
        response.raise_for_status()
        body = response.json()
        self.report.connector_id = body["connectorId"]
        self.headers = {
            "Authorization": f"Bearer {body['tokens']['accessToken']}",
            "X-Connector-Id": body["connectorId"],
        }

    async def heartbeat(self) -> list[str]:
        response = await self.http.post(
            "/connectors/heartbeat",
            json={
                "status": "healthy",
                "uptime": 60,
                "lastSyncStatus": "success",
                "empresasOnline": [self.options.empresa_id],
            },
            headers=self.headers,
        )
        response.raise_for_status()
        self.report.heartbeats += 1
        commands = [str(command["type"]) for command in response.json()["commands"]]
        self.report.commands.extend(commands)
        return commands

    async def push(self, today: date, round_number: int) -> None:
        options = self.options
        data = generate_portfolio(
            clients=options.clients,
            invoices_per_client=options.invoices_per_client,
            seed=options.seed + round_number,
            today=today,
        )
        response = await self.http.post(
            "/sync/cartera",
            content=sync_body(options.empresa_id, data, f"{today.isoformat()}T00:00:00Z"),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        response.raise_for_status()
        self.report.syncs.append(response.json())


async def simulate(options: SimulationOptions, *, today: date | None = None) -> SimulationReport:
    day = today or date.today()
    async with httpx.AsyncClient(base_url=options.base_url.rstrip("/"), timeout=options.timeout) as http:
        connector = SimulatedConnector(http, options)
        await connector.register()
        for round_number in range(options.rounds):
            commands = await connector.heartbeat()
            await connector.push(day, round_number)
            if "sync_now" in commands:
                await connector.push(day, round_number)
            if options.interval_seconds and round_number + 1 < options.rounds:
                await asyncio.sleep(options.interval_seconds)
        return connector.report
