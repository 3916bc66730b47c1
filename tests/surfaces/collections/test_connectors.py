"""Connector list with liveness, heartbeats and queued commands (§4.1, §4.4)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from tests.receivables.builders import create_org

from nexo.core.db.session import Database
from nexo.core.jobs import ManualClock, use_clock
from nexo.core.settings import Settings

BASE = "/collections/v1/connectors"


async def test_heartbeat_liveness_and_commands(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    listed = (await client.get(BASE, headers=org.user_headers)).json()
    assert listed["meta"] == {"total": 1}
    entry = listed["data"][0]
    assert entry["id"] == str(org.connector.id)
    assert entry["status"] == "offline" and entry["lastHeartbeat"] is None
    assert entry["empresas"] == [{"id": "01", "nombre": "Empresa Principal"}]

    beat = {
        "status": "healthy",
        "uptime": 3600,
        "memoryUsage": 45.2,
        "lastSyncStatus": "success",
        "empresasOnline": ["01"],
    }
    answer = await client.post(f"{BASE}/heartbeat", json=beat, headers=org.connector.headers())
    assert answer.status_code == 200, answer.text
    assert answer.json()["ack"] is True and answer.json()["commands"] == []
    assert answer.json()["serverTime"].endswith("Z")
    assert (await client.get(BASE, headers=org.user_headers)).json()["data"][0]["status"] == "online"

    queued = await client.post(
        f"{BASE}/{org.connector.id}/commands",
        json={"type": "sync_now", "empresaId": "01"},
        headers=org.user_headers,
    )
    assert queued.status_code == 201, queued.text
    handed = (await client.post(f"{BASE}/heartbeat", json=beat, headers=org.connector.headers())).json()
    assert [(c["id"], c["type"], c["params"]) for c in handed["commands"]] == [
        (queued.json()["id"], "sync_now", {"empresaId": "01"})
    ]
    again = (await client.post(f"{BASE}/heartbeat", json=beat, headers=org.connector.headers())).json()
    assert again["commands"] == []  # each command is handed over once

    # Three missed intervals later the connector is offline.
    later = ManualClock()
    later.advance(timedelta(seconds=settings.connector_heartbeat_interval_seconds * 3 + 1))
    with use_clock(later):
        assert (await client.get(BASE, headers=org.user_headers)).json()["data"][0]["status"] == "offline"


async def test_heartbeat_and_command_refusals(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    other = await create_org(database, settings)
    assert (await client.post(f"{BASE}/heartbeat", json={}, headers=org.user_headers)).status_code == 403
    unknown_field = await client.post(f"{BASE}/heartbeat", json={"cpu": 1}, headers=org.connector.headers())
    assert unknown_field.status_code == 400
    foreign = await client.post(
        f"{BASE}/{other.connector.id}/commands", json={"type": "sync_now"}, headers=org.user_headers
    )
    assert foreign.status_code == 404
    bad_type = await client.post(
        f"{BASE}/{org.connector.id}/commands", json={"type": "format_c"}, headers=org.user_headers
    )
    assert bad_type.status_code == 400
    bad_empresa = await client.post(
        f"{BASE}/{org.connector.id}/commands",
        json={"type": "sync_now", "empresaId": "77"},
        headers=org.user_headers,
    )
    assert bad_empresa.status_code == 400
    assert [c["id"] for c in (await client.get(BASE, headers=other.user_headers)).json()["data"]] == [
        str(other.connector.id)
    ]
