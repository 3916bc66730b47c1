"""Deliveries end to end over real HTTP on 127.0.0.1: outbox → fan-out → job → signed POST → log.

Receivers verify with the `standardwebhooks` library and, for tasks, with the spec's own
`verify_signature`; nothing here checks our signatures with our own signing code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from standardwebhooks import WebhookVerificationError
from tests.core.jobs.support import new_tenant
from tests.webhooks.support import (
    Received,
    Receiver,
    Reply,
    attempts,
    emit_event,
    messages,
    spec_verify_signature,
    subscribe,
    verify_standard,
)

from nexo.core.db.session import Database
from nexo.core.jobs import ManualClock, use_clock
from nexo.core.jobs.worker import Worker
from nexo.core.settings import Settings
from nexo.webhooks.models import DELIVERED, PENDING
from nexo.webhooks.signing import canonical_json, new_webhook_secret

TASKS_SECRET = "tu_secret_para_validar_webhooks"
TASK = {"id": "task_001", "title": "Nueva Tarea", "status": "pending", "assigned_to": "user_123"}


async def test_tasks_delivery_is_signed_both_ways_and_shaped_as_the_spec(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    sub, secret = await subscribe(
        database,
        settings,
        tenant_id=tenant,
        surface="tasks",
        url=receiver.url("/webhooks/tasks"),
        events=["task.created", "task.updated", "task.completed"],
        secret=TASKS_SECRET,
    )
    assert secret == TASKS_SECRET
    await emit_event(database, tenant_id=tenant, name="task.created", payload=TASK, surface="tasks")
    await worker.drain()
    [request] = await receiver.wait_for(1)
    assert request.path == "/webhooks/tasks"
    assert spec_verify_signature(TASKS_SECRET, request.body, request.headers.get("x-reten-signature"))
    assert verify_standard(TASKS_SECRET, request) == request.json
    body = request.json
    assert set(body) == {"event", "timestamp", "data"}
    assert (body["event"], body["data"]) == ("task.created", TASK)
    assert body["timestamp"].endswith("Z")
    assert request.headers["content-type"] == "application/json"
    assert request.webhook_id.startswith("msg_")
    [message] = await messages(database, sub.id)
    assert (message.status, message.attempts, message.public_id) == (DELIVERED, 1, request.webhook_id)
    [attempt] = await attempts(database, sub.id)
    assert (attempt.outcome, attempt.status_code, attempt.response_excerpt) == (
        "success",
        200,
        '{"status":"success"}',
    )


async def test_a_tampered_body_or_other_secret_fails_the_receivers_checks(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    await subscribe(
        database,
        settings,
        tenant_id=tenant,
        surface="tasks",
        url=receiver.url(),
        events=["task.*"],
        secret=TASKS_SECRET,
    )
    await emit_event(database, tenant_id=tenant, name="task.completed", payload=TASK)
    await worker.drain()
    [request] = await receiver.wait_for(1)
    tampered = Received(request.path, request.headers, request.body.replace(b"pending", b"done!!!"))
    assert not spec_verify_signature(TASKS_SECRET, tampered.body, request.headers["x-reten-signature"])
    assert not spec_verify_signature(
        "otro_secret_de_16_chars", request.body, request.headers["x-reten-signature"]
    )
    with pytest.raises(WebhookVerificationError):
        verify_standard(TASKS_SECRET, tampered)
    with pytest.raises(WebhookVerificationError):
        verify_standard(new_webhook_secret(), request)


async def test_platform_body_carries_its_signature(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver
) -> None:
    receiver.respond = _echo_challenge
    sub, secret = await subscribe(
        database, settings, tenant_id=None, surface="platform", url=receiver.url(), events=["tenant.*"]
    )
    await worker.drain()  # the verification handshake
    tenant_payload = {
        "tenantId": "uuid-del-tenant",
        "name": "Empresa Cliente",
        "plan": "Pro",
        "status": "ACTIVE",
    }
    await emit_event(
        database, tenant_id=None, name="tenant.created", payload=tenant_payload, surface="platform"
    )
    await worker.drain()
    request = (await receiver.wait_for(2))[1]
    body = request.json
    assert set(body) == {"event", "timestamp", "data", "signature"}
    assert (body["event"], body["data"]) == ("tenant.created", tenant_payload)
    unsigned = {key: value for key, value in body.items() if key != "signature"}
    expected = hmac.new(secret.encode(), canonical_json(unsigned), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(body["signature"], expected)
    assert verify_standard(secret, request) == body
    assert [m.status for m in await messages(database, sub.id)] == [DELIVERED, DELIVERED]


def _echo_challenge(request: Received) -> Reply:
    data = request.json["data"]
    return 200, {}, json.dumps({"challenge": data.get("challenge")}).encode()


@pytest.mark.parametrize(
    ("surface", "name", "payload"),
    [
        ("media", "orden.creada", {"orden_id": 12345, "cliente_id": 678, "estado": "pendiente"}),
        ("collections", "pago.registrado", {"pagoId": "p-1", "monto": "1500.00"}),
    ],
)
async def test_media_and_collections_bodies(
    database: Database,
    settings: Settings,
    worker: Worker,
    receiver: Receiver,
    tenant: int,
    surface: str,
    name: str,
    payload: dict[str, object],
) -> None:
    _, secret = await subscribe(
        database, settings, tenant_id=tenant, surface=surface, url=receiver.url(), events=[name]
    )
    await emit_event(database, tenant_id=tenant, name=name, payload=payload)
    await worker.drain()
    [request] = await receiver.wait_for(1)
    assert request.json["event"] == name and request.json["data"] == payload
    assert "x-reten-signature" not in request.headers
    assert verify_standard(secret, request) == request.json


async def test_a_rolled_back_change_sends_nothing(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    sub, _ = await subscribe(
        database, settings, tenant_id=tenant, surface="tasks", url=receiver.url(), events=["*"]
    )
    from nexo.core.events import emit

    with pytest.raises(RuntimeError):
        async with database.transaction(tenant_id=tenant) as session:
            emit(session, name="task.created", tenant_id=tenant, payload=TASK)
            raise RuntimeError("the task could not be saved")
    await worker.drain()
    assert receiver.requests == []
    assert await messages(database, sub.id) == []


async def test_events_reach_only_matching_subscriptions_of_their_tenant(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = _echo_challenge
    other_tenant = await new_tenant(database)

    async def add(tenant_id: int | None, surface: str, path: str, events: list[str]) -> int:
        created, _ = await subscribe(
            database, settings, tenant_id=tenant_id, surface=surface, url=receiver.url(path), events=events
        )
        return created.id

    await add(tenant, "tasks", "/all", ["task.*"])
    await add(tenant, "tasks", "/done", ["task.completed"])
    foreign = await add(other_tenant, "tasks", "/foreign", ["*"])
    media = await add(tenant, "media", "/media", ["*"])
    await add(None, "platform", "/owner", ["ticket.*"])
    await add(tenant, "platform", "/tenant-panel", ["lead.*"])
    await worker.drain()  # the two platform subscriptions' handshakes
    receiver.requests.clear()
    for name in ("task.created", "task.completed"):
        await emit_event(database, tenant_id=tenant, name=name, payload=TASK)
    await emit_event(
        database, tenant_id=tenant, name="ticket.created", payload={"ticketId": "t"}, surface="platform"
    )
    await emit_event(
        database, tenant_id=other_tenant, name="ticket.closed", payload={"ticketId": "u"}, surface="platform"
    )
    await worker.drain()
    assert sorted((r.path, r.json["event"]) for r in receiver.requests) == [
        ("/all", "task.completed"),
        ("/all", "task.created"),
        ("/done", "task.completed"),
        ("/owner", "ticket.closed"),  # the platform owner hears every tenant's platform events
        ("/owner", "ticket.created"),
    ]
    assert await messages(database, foreign) == []
    assert await messages(database, media) == []


async def test_a_receiver_that_is_down_gets_everything_in_order_when_it_returns(
    database: Database, settings: Settings, worker: Worker, tenant: int
) -> None:
    clock = ManualClock()
    receiver = Receiver()  # not started: connection refused
    with use_clock(clock):
        sub, secret = await subscribe(
            database, settings, tenant_id=tenant, surface="tasks", url=receiver.url(), events=["task.*"]
        )
        for n in range(5):
            await emit_event(database, tenant_id=tenant, name="task.updated", payload={"id": f"task_{n}"})
        await worker.drain()
        for _ in range(3):  # three retries fail too: 5 s, 5 min, 30 min later
            clock.advance(timedelta(hours=1))
            await worker.drain()
        queue = await messages(database, sub.id)
        assert [m.status for m in queue] == [PENDING] * 5
        assert queue[0].attempts == 4 and all(m.attempts == 0 for m in queue[1:])  # the rest wait behind
        log = await attempts(database, sub.id)
        assert [a.outcome for a in log] == ["failure"] * 4 and all(a.error for a in log)
        for n in range(5, 8):  # more events while it is down
            await emit_event(database, tenant_id=tenant, name="task.updated", payload={"id": f"task_{n}"})
        await worker.drain()
        await receiver.start()
        try:
            clock.advance(timedelta(hours=3))  # past the next retry (2 h ± 20 %)
            await worker.drain()
            received = await receiver.wait_for(8)
        finally:
            await receiver.stop()
    assert [r.json["data"]["id"] for r in received] == [f"task_{n}" for n in range(8)]
    assert [r.webhook_id for r in received] == [m.public_id for m in await messages(database, sub.id)]
    for request in received:
        verify_standard(secret, request)
    assert {m.status for m in await messages(database, sub.id)} == {DELIVERED}
