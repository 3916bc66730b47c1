"""The event catalogs: what the specs name, documented, and enforced when emitting and subscribing."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexo.core.errors import ValidationFailed
from nexo.core.settings import Settings
from nexo.webhooks.catalog import CATALOGS, DISABLED_EVENT, surfaces_for
from nexo.webhooks.service import check_events, check_secret, check_url

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"

SPEC_EVENTS = {
    "media": {"orden.creada"},
    "collections": {
        "sync.completado",
        "sync.fallido",
        "cliente.vencido",
        "factura.vencida",
        "recordatorio.enviado",
        "pago.registrado",
    },
    "tasks": {"task.created", "task.updated", "task.completed"},
    "platform": {
        "tenant.created",
        "tenant.updated",
        "tenant.suspended",
        "tenant.reactivated",
        "tenant.deleted",
        "ticket.created",
        "ticket.updated",
        "ticket.closed",
        "ticket.message.added",
        "lead.created",
        "lead.updated",
        "lead.converted",
        "lead.stage.changed",
        "conversation.started",
        "conversation.message.received",
        "conversation.message.sent",
        "conversation.ended",
    },
}


@pytest.mark.parametrize("surface", sorted(SPEC_EVENTS))
def test_every_event_a_spec_names_is_in_its_catalog(surface: str) -> None:
    assert SPEC_EVENTS[surface] <= set(CATALOGS[surface])
    assert DISABLED_EVENT[surface] in CATALOGS[surface]


def test_every_event_and_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [f"{s}:{name}" for s, events in CATALOGS.items() for name in events if f"`{name}`" not in text]
    assert missing == []
    for setting in (
        "NEXO_WORKERS_IN_PROCESS",
        "NEXO_WORKER_CONCURRENCY",
        "NEXO_WORKER_POLL_SECONDS",
        "NEXO_JOB_LEASE_SECONDS",
        "NEXO_WEBHOOK_ALLOW_PRIVATE",
        "NEXO_WEBHOOK_TIMEOUT_SECONDS",
    ):
        assert setting in text
        assert setting.removeprefix("NEXO_").lower() in Settings.model_fields


def test_an_event_reaches_the_surfaces_whose_catalog_lists_it() -> None:
    assert surfaces_for("task.created") == ("tasks",)
    assert surfaces_for("cliente.vencido") == ("collections",)
    assert set(surfaces_for("webhook.disabled")) == {"tasks", "platform"}
    assert surfaces_for("campan\u0303a.creada") == ("media",)  # decomposed ñ still matches


def test_subscriptions_may_only_ask_for_their_surfaces_events() -> None:
    assert check_events(["task.*", "task.*", " task.created "], surface="tasks") == ["task.*", "task.created"]
    with pytest.raises(ValidationFailed) as refused:
        check_events(["orden.creada", "task.creatd"], surface="tasks", field="eventos")
    assert [d.field for d in refused.value.details] == ["eventos", "eventos"]


def test_secrets_are_long_enough_or_generated() -> None:
    assert check_secret(None).startswith("whsec_")
    assert check_secret("tu_secret_para_validar_webhooks") == "tu_secret_para_validar_webhooks"
    for bad in ("short", "has a space in it!!", "whsec_not base64"):
        with pytest.raises(ValidationFailed):
            check_secret(bad)


def test_private_addresses_depend_on_the_environment(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    assert settings.webhooks_may_reach_private()
    assert not production.webhooks_may_reach_private()
    assert production.model_copy(update={"webhook_allow_private": True}).webhooks_may_reach_private()
    assert check_url("http://127.0.0.1:9/x", surface="tasks", settings=settings) == "http://127.0.0.1:9/x"
    with pytest.raises(ValidationFailed, match="loopback or private"):
        check_url("http://10.1.2.3/x", surface="tasks", settings=production)
    with pytest.raises(ValidationFailed, match="https"):
        check_url("http://hooks.example.com/x", surface="platform", settings=production)
    assert check_url("http://hooks.example.com/x", surface="tasks", settings=production)
