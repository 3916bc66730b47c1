"""The media, collections and platform webhook endpoints, in each spec's words and casing."""

from __future__ import annotations

import httpx
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token
from tests.webhooks.support import Received, Receiver, Reply, emit_event, verify_standard

from nexo.core.db.session import Database
from nexo.core.jobs.worker import Worker
from nexo.core.settings import Settings


async def _media(database: Database, settings: Settings, *scopes: str) -> tuple[int, dict[str, str]]:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="media", permissions=list(scopes))
    return tenant.id, auth_headers(await issue_token(database, settings, user, surface="media"))


async def _collections(
    database: Database, settings: Settings, role: str = "admin"
) -> tuple[int, dict[str, str]]:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="collections", role=role)
    return tenant.id, auth_headers(await issue_token(database, settings, user, surface="collections"))


async def _owner(database: Database, settings: Settings) -> dict[str, str]:
    owner = await create_user(database, tenant=None)
    return auth_headers(await issue_token(database, settings, owner, surface="platform"))


async def test_media_register_update_pause_and_resume(
    client: httpx.AsyncClient, database: Database, settings: Settings, worker: Worker, receiver: Receiver
) -> None:
    tenant, headers = await _media(database, settings, "read:webhooks", "write:webhooks")
    body = {"url": receiver.url("/pautapro"), "eventos": ["orden.*"], "descripcion": "ERP"}
    response = await client.post("/media/v2/webhooks/registrar", json=body, headers=headers)
    assert response.status_code == 201, response.text
    webhook = response.json()["data"]
    assert (webhook["eventos"], webhook["status"], webhook["descripcion"]) == (["orden.*"], "activo", "ERP")
    assert isinstance(webhook["id"], int) and webhook["secret"].startswith("whsec_")
    assert response.headers["location"] == f"webhooks/{webhook['id']}"
    path = f"/media/v2/webhooks/{webhook['id']}"

    await emit_event(
        database, tenant_id=tenant, name="orden.creada", payload={"orden_id": 1, "estado": "pendiente"}
    )
    await worker.drain()
    [request] = await receiver.wait_for(1)
    assert request.json["event"] == "orden.creada"
    verify_standard(webhook["secret"], request)

    paused = await client.put(path, json={"activo": False}, headers=headers)
    assert paused.json()["data"]["status"] == "deshabilitado"
    await emit_event(database, tenant_id=tenant, name="orden.actualizada", payload={"orden_id": 1})
    await worker.drain()
    assert len(receiver.requests) == 1  # nothing while paused

    changed = await client.put(path, json={"activo": True, "eventos": ["campaña.creada"]}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["data"]["status"], changed.json()["data"]["eventos"]) == (
        "activo",
        ["campaña.creada"],
    )
    await emit_event(database, tenant_id=tenant, name="campaña.creada", payload={"campaña_id": 5})
    await worker.drain()
    assert (await receiver.wait_for(2))[1].json["data"] == {"campaña_id": 5}

    log = (await client.get(f"{path}/entregas", headers=headers)).json()
    assert [d["event"] for d in log["data"]] == ["campaña.creada", "orden.creada"]
    assert log["meta"] == {"page": 1, "limit": 20, "total": 2, "total_pages": 1}
    detail = (await client.get(f"{path}/entregas/{log['data'][1]['id']}", headers=headers)).json()["data"]
    assert detail["log"][0]["outcome"] == "success"
    assert (await client.post(f"{path}/entregas/{detail['id']}/reenviar", headers=headers)).status_code == 202

    rotated = await client.post(f"{path}/rotar-secreto", json={"horas_solapamiento": 0}, headers=headers)
    assert rotated.json()["data"]["expira_secreto_anterior"] is None
    assert (await client.delete(path, headers=headers)).status_code == 204
    assert (await client.get("/media/v2/webhooks", headers=headers)).json()["data"] == []


async def test_media_scopes_errors_and_other_tenants(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    _, headers = await _media(database, settings, "read:webhooks", "write:webhooks")
    _, reader = await _media(database, settings, "read:webhooks")
    bad = await client.post(
        "/media/v2/webhooks/registrar",
        json={"url": "https://erp.example/h", "eventos": ["task.created"]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "eventos"
    made = await client.post(
        "/media/v2/webhooks/registrar",
        json={"url": "https://erp.example/h", "eventos": ["*"]},
        headers=headers,
    )
    webhook_id = made.json()["data"]["id"]
    refused = await client.post(
        "/media/v2/webhooks/registrar",
        json={"url": "https://erp.example/h", "eventos": ["*"]},
        headers=reader,
    )
    assert refused.status_code == 403
    assert (await client.put(f"/media/v2/webhooks/{webhook_id}", json={}, headers=reader)).status_code == 403
    assert (await client.get(f"/media/v2/webhooks/{webhook_id}", headers=reader)).status_code == 404
    null_url = await client.put(f"/media/v2/webhooks/{webhook_id}", json={"url": "notaurl"}, headers=headers)
    assert null_url.status_code == 422 and null_url.json()["error"]["details"][0]["field"] == "url"
    names = [
        e["nombre"] for e in (await client.get("/media/v2/webhooks/eventos", headers=reader)).json()["data"]
    ]
    assert {"orden.creada", "orden.facturada", "campaña.creada", "cliente.creado"} <= set(names)


async def test_collections_configure_as_section_10_and_camel_case(
    client: httpx.AsyncClient, database: Database, settings: Settings, worker: Worker, receiver: Receiver
) -> None:
    tenant, headers = await _collections(database, settings)
    body = {
        "url": receiver.url("/webhook"),
        "eventos": ["cliente.vencido", "sync.completado", "pago.registrado"],
        "secret": "mi_secreto_webhook",
    }
    response = await client.post("/collections/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    webhook = response.json()
    assert set(webhook) >= {"id", "url", "eventos", "status", "statusReason", "createdAt", "secret"}
    assert webhook["status"] == "active" and len(webhook["id"]) == 36

    await emit_event(
        database, tenant_id=tenant, name="sync.completado", payload={"syncId": "s1", "clientes": 3}
    )
    await worker.drain()
    [request] = await receiver.wait_for(1)
    assert verify_standard("mi_secreto_webhook", request)["data"] == {"syncId": "s1", "clientes": 3}

    log = (await client.get(f"/collections/v1/webhooks/{webhook['id']}/entregas", headers=headers)).json()
    assert log["meta"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    assert set(log["data"][0]) >= {"id", "event", "status", "nextAttemptAt", "deliveredAt", "lastStatusCode"}
    bad = await client.post(
        "/collections/v1/webhooks", json={**body, "eventos": ["orden.creada"]}, headers=headers
    )
    assert bad.status_code == 400  # this API's validation status
    assert bad.json()["error"]["details"][0]["field"] == "eventos"
    snake = await client.post(
        "/collections/v1/webhooks", json={**body, "status_reason": "x"}, headers=headers
    )
    assert snake.status_code == 400
    path = f"/collections/v1/webhooks/{webhook['id']}"
    paused = await client.patch(path, json={"activo": False, "descripcion": "ERP"}, headers=headers)
    assert (paused.json()["status"], paused.json()["descripcion"]) == ("disabled", "ERP")
    revived = await client.patch(path, json={"activo": True, "eventos": ["pago.registrado"]}, headers=headers)
    assert (revived.json()["status"], revived.json()["eventos"]) == ("active", ["pago.registrado"])
    wrong = await client.patch(path, json={"eventos": ["orden.creada"]}, headers=headers)
    assert wrong.status_code == 400 and wrong.json()["error"]["details"][0]["field"] == "eventos"
    _, collector = await _collections(database, settings, role="collector")
    assert (await client.get("/collections/v1/webhooks", headers=collector)).status_code == 403
    assert (await client.patch(path, json={"activo": False}, headers=collector)).status_code == 403
    assert (
        await client.delete(f"/collections/v1/webhooks/{webhook['id']}", headers=headers)
    ).status_code == 204


async def test_platform_webhooks_need_the_handshake(
    client: httpx.AsyncClient, database: Database, settings: Settings, worker: Worker, receiver: Receiver
) -> None:
    def echo(request: Received) -> Reply:
        return 200, {}, str(request.json["data"].get("challenge", "")).encode()

    receiver.respond = echo
    headers = await _owner(database, settings)
    body = {"url": receiver.url("/panel"), "events": ["tenant.*", "lead.created"]}
    response = await client.post("/api/platform/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    webhook = response.json()
    assert webhook["status"] == "PENDING_VERIFICATION" and webhook["verifiedAt"] is None
    path = f"/api/platform/webhooks/{webhook['id']}"
    await worker.drain()
    [challenge] = await receiver.wait_for(1)
    assert challenge.json["event"] == "webhook.verification"
    assert challenge.json["data"]["webhookId"] == webhook["id"]
    verify_standard(webhook["secret"], challenge)
    verified = (await client.get(path, headers=headers)).json()
    assert verified["status"] == "ACTIVE" and verified["verifiedAt"]
    assert (await client.post(f"{path}/verify", headers=headers)).status_code == 409  # already active

    await emit_event(
        database, tenant_id=None, name="tenant.created", payload={"tenantId": "t-1"}, surface="platform"
    )
    await worker.drain()
    event = (await receiver.wait_for(2))[1].json
    assert event["event"] == "tenant.created" and "signature" in event
    log = (await client.get(f"{path}/deliveries", headers=headers)).json()
    assert [d["event"] for d in log["data"]] == ["tenant.created", "webhook.verification"]
    names = [e["event"] for e in (await client.get("/api/platform/webhooks/events", headers=headers)).json()]
    assert {"tenant.suspended", "ticket.message.added", "lead.stage.changed", "conversation.ended"} <= set(
        names
    )
    assert (await client.get("/api/platform/webhooks")).status_code == 401

    paused = await client.patch(path, json={"active": False, "description": "panel"}, headers=headers)
    assert (paused.json()["status"], paused.json()["description"]) == ("DISABLED", "panel")
    revived = await client.patch(path, json={"active": True}, headers=headers)
    assert revived.json()["status"] == "PENDING_VERIFICATION"  # a revived URL proves itself again
    await worker.drain()
    assert (await receiver.wait_for(3))[2].json["event"] == "webhook.verification"
    assert (await client.get(path, headers=headers)).json()["status"] == "ACTIVE"
