"""Failure handling: retries with the same webhook-id, Retry-After, 410, five days of failures,
exhausted messages, timeouts, redirects, oversized responses, the SSRF guard, rotation, redelivery."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.webhooks.support import (
    Received,
    Receiver,
    Reply,
    attempts,
    emit_event,
    messages,
    principal,
    spec_verify_signature,
    subscribe,
    subscription,
    verify_standard,
)

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.jobs import ManualClock, use_clock
from nexo.core.jobs.worker import Worker
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.webhooks import service
from nexo.webhooks.delivery import FAILING_REASON, GONE_REASON
from nexo.webhooks.models import DEAD, DELIVERED, DISABLED
from nexo.webhooks.sending import EXCERPT_BYTES, DeliveryContext, using_delivery

SECRET = "un_secreto_de_prueba_largo"


def _task(n: int) -> dict[str, object]:
    return {"id": f"task_{n}", "status": "pending"}


async def _subscribe(
    database: Database, settings: Settings, tenant: int, url: str, events: list[str] | None = None
) -> int:
    created, _ = await subscribe(
        database,
        settings,
        tenant_id=tenant,
        surface="tasks",
        url=url,
        events=events or ["task.*"],
        secret=SECRET,
    )
    return created.id


async def test_a_retry_is_a_duplicate_with_the_same_webhook_id(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = lambda request: (500, {}, b"oops") if len(receiver.requests) == 1 else (200, {}, b"ok")
    sub = await _subscribe(database, settings, tenant, receiver.url())
    clock = ManualClock()
    with use_clock(clock):
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
        await worker.drain()
        clock.advance(timedelta(seconds=10))
        await worker.drain()
    first, second = await receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id
    assert first.body == second.body
    for request in (first, second):
        verify_standard(SECRET, request)
        assert spec_verify_signature(SECRET, request.body, request.headers["x-reten-signature"])
    log = await attempts(database, sub)
    assert [(a.outcome, a.status_code, a.response_excerpt) for a in log] == [
        ("failure", 500, "oops"),
        ("success", 200, "ok"),
    ]
    assert [m.attempts for m in await messages(database, sub)] == [2]


async def test_retry_after_pushes_the_next_attempt_later(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = lambda request: (
        (503, {"Retry-After": "3600"}, b"") if len(receiver.requests) == 1 else (200, {}, b"")
    )
    sub = await _subscribe(database, settings, tenant, receiver.url())
    clock = ManualClock()
    with use_clock(clock):
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
        await worker.drain()
        [message] = await messages(database, sub)
        assert message.next_attempt_at - clock.now() == timedelta(hours=1)
        clock.advance(timedelta(minutes=30))  # the schedule alone would have retried after 5 s
        await worker.drain()
        assert len(receiver.requests) == 1
        clock.advance(timedelta(minutes=31))
        await worker.drain()
    assert len(receiver.requests) == 2
    assert [m.status for m in await messages(database, sub)] == [DELIVERED]


def _by_path(broken: str, status: int) -> object:
    def respond(request: Received) -> Reply:
        return (status, {}, b"") if request.path == broken else (200, {}, b"")

    return respond


async def test_410_gone_disables_the_subscription_and_says_so(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = _by_path("/gone", 410)  # type: ignore[assignment]
    gone = await _subscribe(database, settings, tenant, receiver.url("/gone"))
    await _subscribe(database, settings, tenant, receiver.url("/watch"), ["webhook.disabled"])
    for n in range(3):
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(n))
    await worker.drain()
    disabled = await subscription(database, gone)
    assert (disabled.status, disabled.status_reason) == (DISABLED, GONE_REASON)
    assert [m.status for m in await messages(database, gone)] == [DEAD, DEAD, DEAD]
    assert len(await attempts(database, gone)) == 1  # nothing more is sent to a gone endpoint
    [notice] = [r for r in receiver.requests if r.path == "/watch"]
    assert notice.json["event"] == "webhook.disabled"
    assert notice.json["data"] == {
        "webhook_id": f"wh_{disabled.public_id.hex}",
        "url": receiver.url("/gone"),
        "reason": GONE_REASON,
    }
    async with database.session(write=False) as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        actions = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.actor_type == "system"))
        ).all()
    assert "webhook.disabled" in actions
    await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(9))
    await worker.drain()
    assert len(await messages(database, gone)) == 3  # a disabled subscription gets no new messages


async def test_five_days_of_failures_disable_the_subscription(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = _by_path("/broken", 500)  # type: ignore[assignment]
    broken = await _subscribe(database, settings, tenant, receiver.url("/broken"))
    await _subscribe(database, settings, tenant, receiver.url("/watch"), ["webhook.disabled"])
    clock = ManualClock()
    with use_clock(clock):
        for day in range(6):
            await emit_event(database, tenant_id=tenant, name="task.updated", payload=_task(day))
            for _ in range(12):
                await worker.drain()
                clock.advance(timedelta(hours=2))
            if day < 4:
                assert (await subscription(database, broken)).status != DISABLED
    disabled = await subscription(database, broken)
    assert (disabled.status, disabled.status_reason) == (DISABLED, FAILING_REASON)
    assert disabled.disabled_at is not None and disabled.failing_since is not None
    assert disabled.disabled_at - disabled.failing_since >= timedelta(days=5)
    assert [r.json["data"]["reason"] for r in receiver.requests if r.path == "/watch"] == [FAILING_REASON]


async def test_a_message_that_exhausts_its_attempts_dies_and_the_queue_moves_on(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    receiver.respond = lambda request: (
        (500, {}, b"") if request.json["data"]["id"] == "task_0" else (200, {}, b"")
    )
    sub = await _subscribe(database, settings, tenant, receiver.url())
    clock = ManualClock()
    with use_clock(clock):
        for n in range(2):
            await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(n))
        for _ in range(10):
            await worker.drain()
            clock.advance(timedelta(hours=12))
    first, second = await messages(database, sub)
    assert (first.status, first.attempts) == (
        DEAD,
        8,
    )  # immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert second.status == DELIVERED
    assert [r.json["data"]["id"] for r in receiver.requests] == ["task_0"] * 8 + ["task_1"]


async def test_timeouts_redirects_and_big_responses_are_handled(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    async def respond(request: Received) -> Reply:
        if request.path == "/slow":
            await asyncio.sleep(4.0)
        if request.path == "/redirect":
            return 302, {"Location": receiver.url("/elsewhere")}, b""
        return 200, {}, b"x" * 10_000

    receiver.respond = respond
    slow = await _subscribe(database, settings, tenant, receiver.url("/slow"))
    redirect = await _subscribe(database, settings, tenant, receiver.url("/redirect"))
    big = await _subscribe(database, settings, tenant, receiver.url("/big"))
    impatient = settings.model_copy(update={"webhook_timeout_seconds": 1.5})
    context = DeliveryContext.from_settings(impatient, rng=random.Random(1))
    with using_delivery(context):
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
        await worker.drain()
    await context.aclose()
    [timed_out] = await attempts(database, slow)
    assert (timed_out.outcome, timed_out.error, timed_out.status_code) == (
        "failure",
        "no response within 1.5 s",
        None,
    )
    [redirected] = await attempts(database, redirect)
    assert (redirected.outcome, redirected.status_code, redirected.error) == ("failure", 302, "HTTP 302")
    assert all(r.path != "/elsewhere" for r in receiver.requests)
    [excerpted] = await attempts(database, big)
    assert excerpted.outcome == "success"
    assert excerpted.response_excerpt == "x" * EXCERPT_BYTES


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_ssrf_guard_refuses_internal_addresses(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int, host: str
) -> None:
    sub = await _subscribe(database, settings, tenant, receiver.url().replace("127.0.0.1", host))
    strict = settings.model_copy(update={"webhook_allow_private": False})
    context = DeliveryContext.from_settings(strict)
    with using_delivery(context):
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
        await worker.drain()
    await context.aclose()
    assert receiver.requests == []
    [refused] = await attempts(database, sub)
    assert refused.outcome == "refused"
    assert refused.error is not None and "loopback or private" in refused.error


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    sub_id = await _subscribe(database, settings, tenant, receiver.url())
    clock = ManualClock()
    with use_clock(clock):
        async with database.transaction(tenant_id=tenant) as session:
            sub = await service.get_subscription(session, surface="tasks", owner=principal(tenant), id=sub_id)
            new = await service.rotate_secret(
                session, sub, settings=settings, owner=principal(tenant), overlap=timedelta(hours=24)
            )
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
        await worker.drain()
        clock.advance(timedelta(hours=25))
        await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(2))
        await worker.drain()
    during, after = await receiver.wait_for(2)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    verify_standard(SECRET, during)
    verify_standard(new, during)
    assert spec_verify_signature(
        SECRET, during.body, during.headers["x-reten-signature"]
    )  # old until the end
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    verify_standard(new, after)
    assert spec_verify_signature(new, after.body, after.headers["x-reten-signature"])
    assert not spec_verify_signature(SECRET, after.body, after.headers["x-reten-signature"])


async def test_manual_redelivery_resends_with_the_same_webhook_id(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver, tenant: int
) -> None:
    sub_id = await _subscribe(database, settings, tenant, receiver.url())
    await emit_event(database, tenant_id=tenant, name="task.created", payload=_task(1))
    await worker.drain()
    [message] = await messages(database, sub_id)
    async with database.transaction(tenant_id=tenant) as session:
        sub = await service.get_subscription(session, surface="tasks", owner=principal(tenant), id=sub_id)
        found = await service.get_delivery(session, sub, message.public_id)
        await service.redeliver(session, sub, found, owner=principal(tenant))
    await worker.drain()
    first, again = await receiver.wait_for(2)
    assert first.webhook_id == again.webhook_id == message.public_id
    assert [a.outcome for a in await attempts(database, sub_id)] == ["success", "success"]


async def test_platform_subscriptions_turn_active_only_after_echoing_the_challenge(
    database: Database, settings: Settings, worker: Worker, receiver: Receiver
) -> None:
    receiver.respond = lambda request: (200, {}, b"I am not echoing")
    sub, secret = await subscribe(
        database, settings, tenant_id=None, surface="platform", url=receiver.url(), events=["lead.*"]
    )
    clock = ManualClock()
    with use_clock(clock):
        for _ in range(6):
            await worker.drain()
            clock.advance(timedelta(hours=1))
        await emit_event(
            database, tenant_id=None, name="lead.created", payload={"leadId": "l1"}, surface="platform"
        )
        await worker.drain()
    pending = await subscription(database, sub.id)
    assert pending.status == "pending_verification"
    assert (
        pending.status_reason == "verification failed: the response did not echo the verification challenge"
    )
    assert [r.json["event"] for r in receiver.requests] == ["webhook.verification"] * 4
    challenge = receiver.requests[0].json["data"]["challenge"]
    verify_standard(secret, receiver.requests[0])

    receiver.respond = lambda request: (200, {}, request.json["data"]["challenge"].encode())
    async with database.transaction() as session:
        allow_all_tenants(session, reason="platform owner")
        found = await service.get_subscription(session, surface="platform", owner=principal(None), id=sub.id)
        await service.restart_verification(session, found, owner=principal(None))
    await worker.drain()
    active = await subscription(database, sub.id)
    assert (active.status, active.verification_challenge) == ("active", None)
    assert receiver.requests[-1].json["data"]["challenge"] != challenge  # a fresh challenge
    await emit_event(
        database, tenant_id=None, name="lead.created", payload={"leadId": "l2"}, surface="platform"
    )
    await worker.drain()
    assert receiver.requests[-1].json["data"] == {"leadId": "l2"}  # events flow only after verification
