"""Dunning (§8): templates, reminders sent to a real SMTP server (aiosmtpd), open tracking, history."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.receivables.builders import Org, create_org, debtor, invoice, push, sync_body

from nexo.core.db.session import Database
from nexo.core.jobs.models import Job
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.integrations.smtp import SmtpConfig, SmtpSender
from nexo.receivables import reminders

BASE = "/collections/v1/cobranza"


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None, f"no text/{subtype} part"
    content: str = body.get_content()
    return content


class Mailbox:
    """aiosmtpd handler: keeps accepted messages; refuses recipients whose address starts "rechazo"."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("rechazo"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)  # what the default policy builds
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def org(client: httpx.AsyncClient, database: Database, settings: Settings) -> Org:
    org = await create_org(database, settings)
    portfolio = [
        debtor(
            "C001",
            "Cliente Uno S.A.",
            [
                invoice("F-1001", due=org.today - timedelta(days=7), saldo="12500.00"),
                invoice("F-1002", due=org.today + timedelta(days=3), saldo="1000.50"),
            ],
            contactos=[{"nombre": "Juan Pérez", "email": "juan@clienteuno.example"}],
        )
    ]
    assert (await push(client, org, sync_body(portfolio))).status_code == 200
    return org


async def _client_id(http: httpx.AsyncClient, org: Org) -> str:
    listed = (await http.get("/collections/v1/clientes", headers=org.user_headers)).json()
    return str(listed["data"][0]["id"])


async def _template(http: httpx.AsyncClient, org: Org, **overrides: Any) -> dict[str, Any]:
    body = {
        "nombre": "Recordatorio 30 días",
        "asunto": "Recordatorio de pago - {empresa}",
        "cuerpo": "Estimado {cliente},\nle recordamos un saldo de {monto} ({dias} días).\n{facturas}",
        **overrides,
    }
    response = await http.post(f"{BASE}/plantillas", json=body, headers=org.user_headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _run_send_jobs(database: Database, port: int) -> list[Any]:
    smtp = SmtpSender(SmtpConfig("127.0.0.1", port, None, None, "none", 10.0, "cobranza@nexo.example"))
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the job queue")
        payloads = [
            job.payload for job in await session.scalars(select(Job).where(Job.kind == reminders.SEND_JOB))
        ]
    results = []
    for payload in payloads:
        async with database.transaction() as session:
            results.append(
                await reminders.send_delivery(session, payload, smtp=smtp, base_url="http://testserver")
            )
    return results


async def test_templates_validate_variables(client: httpx.AsyncClient, org: Org) -> None:
    bad = await client.post(
        f"{BASE}/plantillas",
        json={"nombre": "x", "asunto": "Hola {cliente}", "cuerpo": "Debe {importe}"},
        headers=org.user_headers,
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "UNKNOWN_VARIABLE"
    assert error["details"][0]["field"] == "cuerpo" and "{importe}" in error["details"][0]["message"]
    created = await _template(client, org)
    assert created["variables"] == ["cliente", "empresa", "monto", "dias", "facturas"]
    assert created["activa"] is True and created["usadaEn"] == 0
    patched = await client.patch(
        f"{BASE}/plantillas/{created['id']}", json={"asunto": "Urgente {monto}"}, headers=org.user_headers
    )
    assert patched.status_code == 200 and patched.json()["asunto"] == "Urgente {monto}"
    refused = await client.patch(
        f"{BASE}/plantillas/{created['id']}", json={"asunto": "{x}"}, headers=org.user_headers
    )
    assert refused.status_code == 400
    listed = (await client.get(f"{BASE}/plantillas", headers=org.user_headers)).json()["data"]
    assert [t["asunto"] for t in listed] == ["Urgente {monto}"]


async def test_reminder_is_sent_over_smtp_and_tracked(
    client: httpx.AsyncClient, database: Database, org: Org, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    template = await _template(client, org)
    cliente_id = await _client_id(client, org)
    response = await client.post(
        f"{BASE}/recordatorios",
        json={"clienteId": cliente_id, "plantillaId": template["id"], "notas": "Primer recordatorio"},
        headers=org.user_headers,
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued" and response.json()["scheduledFor"] is None
    queued = (await client.get(f"{BASE}/historial", headers=org.user_headers)).json()
    assert [row["status"] for row in queued["data"]] == ["queued"]

    assert await _run_send_jobs(database, port) == [None]
    assert len(box.messages) == 1
    message = box.messages[0]
    assert message["To"] == "Juan Pérez <juan@clienteuno.example>"
    assert message["Subject"] == f"Recordatorio de pago - {org.tenant.name}"
    text = _part(message, "plain")
    assert "Estimado Cliente Uno S.A.," in text
    assert "$13,500.50 MXN (7 días)" in text
    assert "- F-1001: vence" in text and "- F-1002: vence" in text
    html = _part(message, "html")
    pixel = html.split('<img src="')[1].split('"')[0]
    assert pixel.startswith("http://testserver/collections/v1/cobranza/tracking/")

    sent = (await client.get(f"{BASE}/historial", headers=org.user_headers)).json()["data"][0]
    assert sent["status"] == "sent" and sent["abierto"] is False and sent["fechaEnvio"]
    assert sent["plantilla"] == "Recordatorio 30 días" and sent["cliente"]["nombre"] == "Cliente Uno S.A."
    assert sent["enviadoPor"]["nombre"]

    opened = await client.get(pixel.removeprefix("http://testserver"))
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
    tracked = (await client.get(f"{BASE}/historial", headers=org.user_headers)).json()["data"][0]
    assert tracked["status"] == "delivered" and tracked["abierto"] is True and tracked["fechaApertura"]
    detail = (await client.get(f"/collections/v1/clientes/{cliente_id}", headers=org.user_headers)).json()
    assert [h["status"] for h in detail["historialCobranza"]] == ["delivered"]
    unknown = await client.get(f"{BASE}/tracking/{'x' * 32}.gif")
    assert unknown.status_code == 200  # reveals nothing
    assert (await client.get(f"{BASE}/plantillas", headers=org.user_headers)).json()["data"][0][
        "usadaEn"
    ] == 1


async def test_refused_recipient_fails_and_filters(
    client: httpx.AsyncClient, database: Database, org: Org, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    template = await _template(client, org)
    cliente_id = await _client_id(client, org)
    response = await client.post(
        f"{BASE}/recordatorios",
        json={
            "clienteId": cliente_id,
            "plantillaId": template["id"],
            "destinatarios": [{"email": "rechazo@clienteuno.example"}, {"email": "ok@clienteuno.example"}],
        },
        headers=org.user_headers,
    )
    assert response.status_code == 202
    await _run_send_jobs(database, port)
    assert [m["To"] for m in box.messages] == ["ok@clienteuno.example"]
    failed = (
        await client.get(f"{BASE}/historial", params={"status": "failed"}, headers=org.user_headers)
    ).json()
    assert [row["destinatario"] for row in failed["data"]] == ["rechazo@clienteuno.example"]
    assert failed["meta"]["total"] == 1
    bad_status = await client.get(f"{BASE}/historial", params={"status": "lost"}, headers=org.user_headers)
    assert bad_status.status_code == 400
    future = (org.today + timedelta(days=2)).isoformat()
    empty = (await client.get(f"{BASE}/historial", params={"desde": future}, headers=org.user_headers)).json()
    assert empty["meta"]["total"] == 0


async def test_scheduled_reminder_and_refusals(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    template = await _template(client, org)
    cliente_id = await _client_id(client, org)
    when = "2099-01-01T15:00:00Z"
    response = await client.post(
        f"{BASE}/recordatorios",
        json={"clienteId": cliente_id, "plantillaId": template["id"], "programarPara": when},
        headers=org.user_headers,
    )
    assert response.status_code == 202 and response.json()["scheduledFor"] == when
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the job queue")
        job = await session.scalar(select(Job).where(Job.kind == reminders.SEND_JOB))
        assert job is not None and job.due_at.isoformat() == "2099-01-01T15:00:00+00:00"
    for body, status in (
        (
            {"clienteId": cliente_id, "plantillaId": template["id"], "programarPara": "2001-01-01T00:00:00Z"},
            400,
        ),
        ({"clienteId": cliente_id, "plantillaId": template["id"], "facturasIncluir": [template["id"]]}, 400),
        ({"clienteId": template["id"], "plantillaId": template["id"]}, 404),
        ({"clienteId": cliente_id, "plantillaId": template["id"], "destinatarios": [{"email": "no"}]}, 400),
    ):
        refused = await client.post(f"{BASE}/recordatorios", json=body, headers=org.user_headers)
        assert refused.status_code == status, (body, refused.text)
