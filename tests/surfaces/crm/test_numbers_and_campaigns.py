"""crm §3 campaigns and §4 WhatsApp numbers through HTTP, numbers against local provider servers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select
from tests.crm.support import BASE, Caller, caller
from tests.integrations.provider_servers import (
    PNG_B64,
    Recorder,
    WppState,
    free_port,
    meta_app,
    serve,
    wppconnect_app,
)
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.crm.numbers.models import WhatsAppNumber

HOURS = {
    "monday": [{"start": "14:00", "end": "18:00"}, {"start": "08:00", "end": "12:00"}],
    "tuesday": {"start": "08:00", "end": "18:00"},
    "saturday": None,
}


@pytest.fixture
async def admin(database: Database, settings: Settings) -> Caller:
    return await caller(database, settings)


async def _wpp_number(
    http: httpx.AsyncClient, who: Caller, url: str, phone: str = "+573002222222"
) -> httpx.Response:
    body = {
        "phone_number": phone,
        "display_name": "Soporte WPP",
        "provider": "wppconnect",
        "wppconnect_session_name": "soporte_session",
        "wppconnect_server_url": url,
        "wppconnect_api_key": "api_key_secreta",
        "daily_message_limit": 500,
    }
    return await http.post(f"{BASE}/whatsapp-numbers", json=body, headers=who.headers)


async def test_wppconnect_number_lifecycle(
    client: httpx.AsyncClient, database: Database, admin: Caller
) -> None:
    state, recorder = WppState(secret_key="api_key_secreta"), Recorder()
    async with serve(wppconnect_app(state, recorder)) as url:
        created = await _wpp_number(client, admin, url)
        assert created.status_code == 201, created.text
        body = created.json()
        number_id = body["id"]
        assert body["status"] == "pending" and body["connection_status"] == "qr_pending"
        assert body["wppconnect_qr_code"] == f"data:image/png;base64,{PNG_B64}"
        assert body["webhook_url"] == f"http://localhost:8000/crm/v1/webhooks/whatsapp/wppconnect/{number_id}"
        assert state.webhooks["soporte_session"] == body["webhook_url"]
        assert "api_key_secreta" not in created.text
        async with database.transaction() as session:
            allow_all_tenants(session, reason="test reads stored secrets")
            stored = await session.scalar(select(WhatsAppNumber).where(WhatsAppNumber.id == number_id))
        assert stored is not None and "api_key_secreta" not in stored.secrets_encrypted
        assert state.token("soporte_session") not in stored.secrets_encrypted

        qr = await client.get(f"{BASE}/whatsapp-numbers/{number_id}/qr", headers=admin.headers)
        assert qr.json()["qr_code"].endswith(PNG_B64) and qr.json()["expires_at"]

        state.sessions["soporte_session"] = "CONNECTED"
        status = await client.get(f"{BASE}/whatsapp-numbers/{number_id}/status", headers=admin.headers)
        assert status.status_code == 200, status.text
        payload = status.json()
        assert (payload["status"], payload["connection_status"], payload["last_error"]) == (
            "active",
            "connected",
            None,
        )
        assert payload["health"]["is_healthy"] is True and payload["health"]["response_time_ms"] >= 0
        listed = await client.get(
            f"{BASE}/whatsapp-numbers", params={"provider": "wppconnect"}, headers=admin.headers
        )
        assert [n["connection_status"] for n in listed.json()["data"]] == ["connected"]
        assert "secret" not in listed.text

        off = await client.post(f"{BASE}/whatsapp-numbers/{number_id}/disconnect", headers=admin.headers)
        assert (
            off.json()["connection_status"] == "disconnected"
            and state.sessions["soporte_session"] == "CLOSED"
        )
        again = await client.post(f"{BASE}/whatsapp-numbers/{number_id}/reconnect", headers=admin.headers)
        assert again.json()["connection_status"] == "qr_pending" and again.json()["qr_code"]

        duplicate = await _wpp_number(client, admin, url, phone="3002222222")
        assert duplicate.status_code == 409
        missing = await client.post(
            f"{BASE}/whatsapp-numbers",
            json={"phone_number": "+573003333333", "provider": "meta"},
            headers=admin.headers,
        )
        assert missing.status_code == 422 and "meta_access_token" in missing.text
        gone = await client.delete(f"{BASE}/whatsapp-numbers/{number_id}", headers=admin.headers)
        assert gone.status_code == 204
        assert (
            await client.get(f"{BASE}/whatsapp-numbers/{number_id}", headers=admin.headers)
        ).status_code == 404


async def test_meta_number_health_and_an_unreachable_provider(
    client: httpx.AsyncClient, make_app: Callable[..., NexoApplication], admin: Caller
) -> None:
    recorder = Recorder()
    async with serve(meta_app(token="EAAxxxx", phone_number_id="102938475647382", recorder=recorder)) as url:
        app = make_app(whatsapp_meta_graph_url=f"{url}/v25.0")
        body = {
            "phone_number": "+573001111111",
            "display_name": "Ventas Principal",
            "provider": "meta",
            "meta_phone_number_id": "102938475647382",
            "meta_business_account_id": "123456789",
            "meta_access_token": "EAAxxxx",
            "webhook_verify_token": "mi_token_secreto_123",
        }
        async with http_client(app) as http:
            created = await http.post(f"{BASE}/whatsapp-numbers", json=body, headers=admin.headers)
            assert created.status_code == 201, created.text
            number_id = created.json()["id"]
            assert (created.json()["status"], created.json()["connection_status"]) == ("active", "connected")
            assert created.json()["webhook_url"].endswith(f"/crm/v1/webhooks/whatsapp/meta/{number_id}")
            assert recorder.requests[-1][2]["authorization"] == "Bearer EAAxxxx"
            status = await http.get(f"{BASE}/whatsapp-numbers/{number_id}/status", headers=admin.headers)
            assert status.json()["health"]["is_healthy"] is True
            qr = await http.get(f"{BASE}/whatsapp-numbers/{number_id}/qr", headers=admin.headers)
            assert qr.status_code == 409
            rotated = await http.put(
                f"{BASE}/whatsapp-numbers/{number_id}",
                json={"meta_access_token": "EAAnew"},
                headers=admin.headers,
            )
            assert rotated.status_code == 200 and "EAAnew" not in rotated.text
            refused = await http.get(f"{BASE}/whatsapp-numbers/{number_id}/status", headers=admin.headers)
            assert refused.json()["health"]["is_healthy"] is False
            assert "Invalid OAuth access token" in refused.json()["last_error"]
    dead = f"http://127.0.0.1:{free_port()}"
    created = await _wpp_number(client, admin, dead, phone="+573004444444")
    assert created.status_code == 201 and "cannot reach" in created.json()["last_error"]
    status = await client.get(f"{BASE}/whatsapp-numbers/{created.json()['id']}/status", headers=admin.headers)
    assert status.json()["health"]["is_healthy"] is False and "cannot reach" in status.json()["last_error"]
    qr = await client.get(f"{BASE}/whatsapp-numbers/{created.json()['id']}/qr", headers=admin.headers)
    assert qr.status_code == 502 and qr.json()["error"]["code"] == "PROVIDER_ERROR"


async def test_campaign_crud_hours_numbers_and_agents(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    body = {
        "name": "Campaña Soporte",
        "code": "soporte_2025",
        "business_hours": HOURS,
        "timezone": "America/Bogota",
        "sla_first_response_seconds": 60,
        "routing_strategy": "least_busy",
        "welcome_message": "¡Hola!",
    }
    created = await client.post(f"{BASE}/campaigns", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["code"] == "SOPORTE_2025"
    assert campaign["business_hours"]["monday"] == [
        {"start": "08:00", "end": "12:00"},
        {"start": "14:00", "end": "18:00"},
    ]
    assert campaign["business_hours"]["tuesday"] == {"start": "08:00", "end": "18:00"}
    assert campaign["business_hours"]["sunday"] is None
    clash = await client.post(
        f"{BASE}/campaigns", json={"name": "x", "code": "SOPORTE_2025"}, headers=admin.headers
    )
    assert clash.status_code == 409
    for bad in (
        {"monday": [{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
        {"funday": None},
        {"monday": {"start": "18:00", "end": "08:00"}},
        {"monday": {"start": "8am", "end": "18:00"}},
    ):
        refused = await client.put(
            f"{BASE}/campaigns/{campaign['id']}", json={"business_hours": bad}, headers=admin.headers
        )
        assert refused.status_code == 422, bad
    zone = await client.put(
        f"{BASE}/campaigns/{campaign['id']}", json={"timezone": "Mars/Base"}, headers=admin.headers
    )
    assert zone.status_code == 422

    state = WppState(secret_key="api_key_secreta")
    async with serve(wppconnect_app(state, Recorder())) as url:
        one = (await _wpp_number(client, admin, url)).json()["id"]
        two = (await _wpp_number(client, admin, url, phone="+573005555555")).json()["id"]
    assigned = await client.post(
        f"{BASE}/campaigns/{campaign['id']}/numbers",
        json={"whatsapp_number_ids": [one, two], "primary_number_id": two},
        headers=admin.headers,
    )
    assert [(n["id"], n["is_primary"]) for n in assigned.json()["whatsapp_numbers"]] == [
        (two, True),
        (one, False),
    ]
    agent = await caller(database, settings, tenant=admin.tenant, role="agent")
    staffed = await client.post(
        f"{BASE}/campaigns/{campaign['id']}/agents",
        json={
            "agents": [
                {"user_id": agent.user.id, "max_concurrent_chats": 5, "priority": 10, "skills": ["ventas"]}
            ]
        },
        headers=admin.headers,
    )
    assert staffed.json()["agents"] == [
        {"user_id": agent.user.id, "max_concurrent_chats": 5, "priority": 10, "skills": ["ventas"]}
    ]
    listed = await client.get(f"{BASE}/campaigns", params={"status": "active"}, headers=agent.headers)
    (item,) = listed.json()["data"]
    assert (item["agents_count"], item["active_chats"], len(item["whatsapp_numbers"])) == (1, 0, 2)
    assert listed.json()["meta"] == {"current_page": 1, "per_page": 20, "total": 1, "total_pages": 1}
    numbers = await client.get(f"{BASE}/whatsapp-numbers", headers=admin.headers)
    assert numbers.json()["data"][0]["campaigns"] == [{"id": campaign["id"], "name": "Campaña Soporte"}]
    other = await caller(database, settings)
    foreign = await client.post(
        f"{BASE}/campaigns/{campaign['id']}/agents", json={"agents": []}, headers=other.headers
    )
    assert foreign.status_code == 404
    stranger = await client.post(
        f"{BASE}/campaigns/{campaign['id']}/agents",
        json={"agents": [{"user_id": other.user.id}]},
        headers=admin.headers,
    )
    assert stranger.status_code == 404
    assert (
        await client.delete(f"{BASE}/campaigns/{campaign['id']}", headers=agent.headers)
    ).status_code == 403
    assert (
        await client.delete(f"{BASE}/campaigns/{campaign['id']}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(f"{BASE}/campaigns/{campaign['id']}", headers=admin.headers)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "/campaigns", "campaigns.read"),
        ("POST", "/campaigns", "campaigns.create"),
        ("PUT", "/campaigns/1", "campaigns.update"),
        ("DELETE", "/campaigns/1", "campaigns.delete"),
        ("POST", "/campaigns/1/numbers", "campaigns.assign"),
        ("POST", "/campaigns/1/agents", "campaigns.assign"),
        ("GET", "/whatsapp-numbers", "whatsapp.numbers.read"),
        ("GET", "/whatsapp-numbers/1/status", "whatsapp.numbers.read"),
        ("POST", "/whatsapp-numbers", "whatsapp.numbers.manage"),
        ("GET", "/whatsapp-numbers/1/qr", "whatsapp.numbers.manage"),
        ("POST", "/whatsapp-numbers/1/disconnect", "whatsapp.numbers.manage"),
        ("POST", "/whatsapp-numbers/1/reconnect", "whatsapp.numbers.manage"),
        ("PUT", "/whatsapp-numbers/1", "whatsapp.numbers.manage"),
        ("DELETE", "/whatsapp-numbers/1", "whatsapp.numbers.manage"),
    ],
)
async def test_each_route_demands_its_permission(
    client: httpx.AsyncClient, database: Database, settings: Settings, method: str, path: str, permission: str
) -> None:
    from nexo.identity.permissions import CRM_PERMISSIONS

    lacking = await caller(
        database, settings, role="limited", permissions=[p for p in CRM_PERMISSIONS if p != permission]
    )
    response = await client.request(method, f"{BASE}{path}", headers=lacking.headers)
    assert response.status_code == 403 and permission in response.json()["error"]["message"]
