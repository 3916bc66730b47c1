"""Rotating and revoking a connector from the collections surface (`POST /connectors/{id}/rotate`,
`POST /connectors/{id}/revoke`, permission `conectores:write`)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from tests.identity_support import auth_headers, create_user, issue_token
from tests.receivables.builders import SYNC_PATH, connector_json, create_org, debtor, invoice, push, sync_body

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.receivables.models import Factura

BASE = "/collections/v1/connectors"
BEAT = {"status": "healthy", "empresasOnline": ["01"]}


def _connector(access_token: str, connector_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}", "X-Connector-Id": connector_id}


async def _invoices(database: Database) -> list[tuple[str, str, str]]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads every invoice")
        rows = await session.execute(
            select(Factura.folio, Factura.saldo, Factura.status).order_by(Factura.folio)
        )
        return [(folio, str(saldo), status) for folio, saldo, status in rows.tuples()]


async def test_rotate_returns_new_tokens_once_and_ends_the_old_ones(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    connector_id = str(org.connector.id)
    old = org.connector.headers()
    assert (await client.post(f"{BASE}/heartbeat", json=BEAT, headers=old)).status_code == 200
    rotated = await client.post(f"{BASE}/{connector_id}/rotate", headers=org.user_headers)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["connectorId"] == connector_id
    assert set(body["tokens"]) == {"accessToken", "refreshToken", "expiresIn"}
    new = _connector(body["tokens"]["accessToken"], connector_id)
    assert (await client.post(f"{BASE}/heartbeat", json=BEAT, headers=old)).status_code == 401
    assert (await client.post(f"{BASE}/heartbeat", json=BEAT, headers=new)).status_code == 200
    snapshot = sync_body([debtor("C001", "Uno", [invoice("F-1", due=org.today, saldo="10.00")])])
    assert (await push(client, org, snapshot)).status_code == 401  # the old token, through the builder
    headers = {**new, "Content-Type": "application/json"}
    synced = await client.post(SYNC_PATH, content=connector_json(snapshot), headers=headers)
    assert synced.status_code == 200, synced.text
    refreshed = await client.post(
        f"{BASE}/refresh",
        json={"refreshToken": body["tokens"]["refreshToken"]},
        headers={"X-Connector-Id": connector_id},
    )
    assert refreshed.status_code == 200  # the new refresh token works too
    listed = (await client.get(BASE, headers=org.user_headers)).json()["data"][0]
    assert listed["status"] == "online"


async def test_revoke_ends_heartbeats_and_syncs_and_keeps_the_data(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    connector_id = str(org.connector.id)
    snapshot = sync_body([debtor("C001", "Uno", [invoice("F-1", due=org.today, saldo="10.00")])])
    assert (await push(client, org, snapshot)).status_code == 200
    before = await _invoices(database)
    revoked = await client.post(f"{BASE}/{connector_id}/revoke", headers=org.user_headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["id"] == connector_id and revoked.json()["status"] == "revoked"
    assert revoked.json()["revokedAt"].endswith("Z") or "+00:00" in revoked.json()["revokedAt"]
    beat = await client.post(f"{BASE}/heartbeat", json=BEAT, headers=org.connector.headers())
    assert beat.status_code == 401
    emptied = sync_body([debtor("C001", "Uno", [])])  # would close F-1 if it were accepted
    assert (await push(client, org, emptied)).status_code == 401
    assert await _invoices(database) == before
    listed = (await client.get(BASE, headers=org.user_headers)).json()["data"][0]
    assert listed["status"] == "revoked"
    again = await client.post(f"{BASE}/{connector_id}/revoke", headers=org.user_headers)
    assert again.status_code == 200 and again.json()["revokedAt"] == revoked.json()["revokedAt"]
    rotate = await client.post(f"{BASE}/{connector_id}/rotate", headers=org.user_headers)
    assert rotate.status_code == 400 and rotate.json()["error"]["code"] == "CONNECTOR_REVOKED"


async def test_rotate_and_revoke_are_for_connector_admins_of_the_same_tenant(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    org = await create_org(database, settings)
    other = await create_org(database, settings)
    collector = await create_user(database, tenant=org.tenant, surface="collections", role="collector")
    collector_headers = auth_headers(await issue_token(database, settings, collector, surface="collections"))
    for action in ("rotate", "revoke"):
        foreign = await client.post(f"{BASE}/{other.connector.id}/{action}", headers=org.user_headers)
        assert foreign.status_code == 404, foreign.text
        refused = await client.post(f"{BASE}/{org.connector.id}/{action}", headers=collector_headers)
        assert refused.status_code == 403
        anonymous = await client.post(f"{BASE}/{org.connector.id}/{action}")
        assert anonymous.status_code == 401
        as_connector = await client.post(
            f"{BASE}/{org.connector.id}/{action}", headers=org.connector.headers()
        )
        assert as_connector.status_code in {401, 403}
    assert (await client.post(f"{BASE}/not-a-uuid/revoke", headers=org.user_headers)).status_code == 400
    beat = await client.post(f"{BASE}/heartbeat", json=BEAT, headers=other.connector.headers())
    assert beat.status_code == 200  # the other tenant's connector was not touched
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test counts invoices")
        assert await session.scalar(select(func.count()).select_from(Factura)) == 0
