"""The tasks surface's webhook endpoints, end to end: HTTP in, signed HTTP out."""

from __future__ import annotations

import httpx
import pytest
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token
from tests.webhooks.support import Receiver, emit_event, spec_verify_signature, verify_standard

from nexo.core.db.session import Database
from nexo.core.jobs.worker import Worker
from nexo.core.settings import Settings

BASE = "/tasks/v1/webhooks"
SECRET = "tu_secret_para_validar_webhooks"


async def _token(database: Database, settings: Settings, *permissions: str) -> tuple[int, dict[str, str]]:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="tasks", permissions=list(permissions))
    return tenant.id, auth_headers(await issue_token(database, settings, user, surface="tasks"))


@pytest.fixture
async def writer(database: Database, settings: Settings) -> tuple[int, dict[str, str]]:
    return await _token(database, settings, "tasks:read", "tasks:write")


async def test_configure_a_webhook_as_the_spec_shows_and_receive_events(
    client: httpx.AsyncClient,
    database: Database,
    worker: Worker,
    receiver: Receiver,
    writer: tuple[int, dict[str, str]],
) -> None:
    tenant, headers = writer
    body = {
        "url": receiver.url("/webhooks/tasks"),
        "events": ["task.created", "task.updated", "task.completed"],
        "secret": SECRET,
    }
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"].startswith("wh_")
    assert (created["url"], created["events"], created["status"], created["secret"]) == (
        body["url"],
        body["events"],
        "active",
        SECRET,
    )
    listed = (await client.get(BASE, headers=headers)).json()
    assert [item["id"] for item in listed["data"]] == [created["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 20, "total": 1, "pages": 1}
    assert "secret" not in listed["data"][0]

    await emit_event(database, tenant_id=tenant, name="task.created", payload={"id": "task_001"})
    await worker.drain()
    [request] = await receiver.wait_for(1)
    assert spec_verify_signature(SECRET, request.body, request.headers["x-reten-signature"])
    verify_standard(SECRET, request)

    log = (await client.get(f"{BASE}/{created['id']}/deliveries", headers=headers)).json()
    [delivery] = log["data"]
    assert (delivery["id"], delivery["event"], delivery["status"], delivery["attempts"]) == (
        request.webhook_id,
        "task.created",
        "delivered",
        1,
    )
    detail = (await client.get(f"{BASE}/{created['id']}/deliveries/{delivery['id']}", headers=headers)).json()
    assert detail["data"] == {"id": "task_001"}
    [attempt] = detail["log"]
    assert (attempt["outcome"], attempt["status_code"]) == ("success", 200)
    assert attempt["duration_ms"] >= 0 and attempt["attempted_at"].endswith("Z")

    again = await client.post(
        f"{BASE}/{created['id']}/deliveries/{delivery['id']}/redeliver", headers=headers
    )
    assert again.status_code == 202 and again.json()["status"] == "pending"
    await worker.drain()
    first, second = await receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id


async def test_a_generated_secret_is_shown_once_and_rotation_returns_the_new_one(
    client: httpx.AsyncClient,
    database: Database,
    worker: Worker,
    receiver: Receiver,
    writer: tuple[int, dict[str, str]],
) -> None:
    tenant, headers = writer
    created = (
        await client.post(BASE, json={"url": receiver.url(), "events": ["task.*"]}, headers=headers)
    ).json()
    assert created["secret"].startswith("whsec_")
    rotated = await client.post(
        f"{BASE}/{created['id']}/rotate-secret", json={"overlap_hours": 1}, headers=headers
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["previous_secret_expires_at"]
    await emit_event(database, tenant_id=tenant, name="task.completed", payload={"id": "task_002"})
    await worker.drain()
    [request] = await receiver.wait_for(1)
    verify_standard(created["secret"], request)
    verify_standard(rotated.json()["secret"], request)


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"url": "ftp://example.com/hook", "events": ["task.created"]}, "url", "must start with"),
        ({"url": "https://example.com/hook", "events": ["task.creatd"]}, "events", "matches no known event"),
        ({"url": "https://example.com/hook", "events": ["orden.creada"]}, "events", "matches no known event"),
        ({"url": "https://example.com/hook", "events": []}, "events", "at least 1"),
        ({"url": "https://example.com/hook", "events": ["*"], "secret": "short"}, "secret", "16-256"),
        ({"url": "http://169.254.169.254/latest", "events": ["*"]}, "url", "metadata"),
        ({"url": "https://example.com/hook", "events": ["*"], "extra": 1}, "extra", "Extra inputs"),
    ],
)
async def test_bad_subscriptions_get_a_422_envelope_and_nothing_is_saved(
    client: httpx.AsyncClient,
    writer: tuple[int, dict[str, str]],
    body: dict[str, object],
    field: str,
    fragment: str,
) -> None:
    _, headers = writer
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any(d["field"] == field and fragment in d["message"] for d in error["details"]), error
    assert (await client.get(BASE, headers=headers)).json()["data"] == []


async def test_a_webhook_disabled_by_a_410_is_re_enabled_with_patch(
    client: httpx.AsyncClient,
    database: Database,
    worker: Worker,
    receiver: Receiver,
    writer: tuple[int, dict[str, str]],
) -> None:
    tenant, headers = writer
    receiver.respond = lambda request: (410, {}, b"gone")
    body = {"url": receiver.url("/hook"), "events": ["task.*"], "secret": SECRET}
    created = (await client.post(BASE, json=body, headers=headers)).json()
    path = f"{BASE}/{created['id']}"
    await emit_event(database, tenant_id=tenant, name="task.created", payload={"id": "task_001"})
    await worker.drain()
    await receiver.wait_for(1)
    disabled = (await client.get(path, headers=headers)).json()
    assert disabled["status"] == "disabled" and disabled["status_reason"]

    receiver.respond = lambda request: (200, {}, b"")
    patched = await client.patch(path, json={"active": True, "events": ["task.completed"]}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["events"]) == ("active", ["task.completed"])
    assert patched.json()["status_reason"] is None
    await emit_event(database, tenant_id=tenant, name="task.completed", payload={"id": "task_001"})
    await worker.drain()
    assert (await receiver.wait_for(2))[1].json["event"] == "task.completed"

    paused = await client.patch(path, json={"active": False}, headers=headers)
    assert paused.json()["status"] == "disabled"
    await emit_event(database, tenant_id=tenant, name="task.completed", payload={"id": "task_002"})
    await worker.drain()
    assert len(receiver.requests) == 2  # nothing while paused
    bad = await client.patch(path, json={"events": ["nope.never"], "active": True}, headers=headers)
    assert bad.status_code == 422 and (await client.get(path, headers=headers)).json()["status"] == "disabled"
    unknown = await client.patch(path, json={"colour": "red"}, headers=headers)
    assert unknown.status_code == 422


async def test_permissions_and_tenants_are_enforced(
    client: httpx.AsyncClient, database: Database, settings: Settings, writer: tuple[int, dict[str, str]]
) -> None:
    _, headers = writer
    created = (
        await client.post(BASE, json={"url": "https://example.com/h", "events": ["*"]}, headers=headers)
    ).json()
    assert (await client.get(BASE)).status_code == 401
    _, reader = await _token(database, settings, "tasks:read")
    forbidden = await client.post(
        BASE, json={"url": "https://example.com/h", "events": ["*"]}, headers=reader
    )
    assert forbidden.status_code == 403
    assert (await client.get(f"{BASE}/{created['id']}", headers=reader)).status_code == 404  # other tenant
    assert (await client.get(BASE, headers=reader)).json()["data"] == []
    _, stranger = await _token(database, settings, "tasks:read", "tasks:write")
    assert (await client.delete(f"{BASE}/{created['id']}", headers=stranger)).status_code == 404
    other = await client.patch(f"{BASE}/{created['id']}", json={"active": False}, headers=stranger)
    assert other.status_code == 404
    read_only = await client.patch(f"{BASE}/{created['id']}", json={"active": False}, headers=reader)
    assert read_only.status_code == 403
    assert (await client.get(f"{BASE}/wh_not-a-uuid", headers=headers)).status_code == 404
    assert (await client.delete(f"{BASE}/{created['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"{BASE}/{created['id']}", headers=headers)).status_code == 404


async def test_the_event_catalog_is_listed(
    client: httpx.AsyncClient, writer: tuple[int, dict[str, str]]
) -> None:
    _, headers = writer
    names = [item["name"] for item in (await client.get(f"{BASE}/events", headers=headers)).json()]
    assert {"task.created", "task.updated", "task.completed", "task.cancelled", "webhook.disabled"} <= set(
        names
    )
