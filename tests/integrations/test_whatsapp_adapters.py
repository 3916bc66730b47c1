"""The WhatsApp adapters over real HTTP against local servers that speak each provider's API."""

from __future__ import annotations

import httpx
import pytest

from nexo.integrations.whatsapp import ProviderError
from nexo.integrations.whatsapp.evolution import EvolutionProvider
from nexo.integrations.whatsapp.meta import MetaCloudProvider
from nexo.integrations.whatsapp.wppconnect import WppConnectProvider
from tests.integrations.provider_servers import (
    PNG_B64,
    EvolutionState,
    Recorder,
    WppState,
    evolution_app,
    free_port,
    meta_app,
    serve,
    wppconnect_app,
)

HOOK = "https://nexo.example/crm/v1/webhooks/whatsapp/x/1"


async def test_meta_checks_the_number_and_sends_text() -> None:
    recorder = Recorder()
    async with (
        serve(meta_app(token="EAAgood", phone_number_id="1029", recorder=recorder)) as url,
        httpx.AsyncClient() as http,
    ):
        provider = MetaCloudProvider(
            http=http, graph_url=f"{url}/v25.0", phone_number_id="1029", access_token="EAAgood"
        )
        connected = await provider.connect(webhook_url=HOOK)
        assert connected.state.connection_status == "connected" and connected.qr_code is None
        assert await provider.send_text(to="+573001234567", body="Hola") == "wamid.TEST123"
        method, path, headers, body = recorder.requests[-1]
        assert (method, path) == ("POST", "/v25.0/1029/messages")
        assert headers["authorization"] == "Bearer EAAgood"
        assert body == {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+573001234567",
            "type": "text",
            "text": {"preview_url": False, "body": "Hola"},
        }
        wrong = MetaCloudProvider(
            http=http, graph_url=f"{url}/v25.0", phone_number_id="1029", access_token="bad"
        )
        with pytest.raises(ProviderError, match="Invalid OAuth access token") as caught:
            await wrong.status()
        assert caught.value.status_code == 401


async def test_wppconnect_session_lifecycle_and_token_regeneration() -> None:
    state, recorder = WppState(secret_key="THISISMYSECURETOKEN"), Recorder()
    async with serve(wppconnect_app(state, recorder)) as url, httpx.AsyncClient() as http:
        provider = WppConnectProvider(
            http=http, server_url=url, session="soporte", secret_key="THISISMYSECURETOKEN"
        )
        connected = await provider.connect(webhook_url=HOOK)
        assert connected.state.connection_status == "qr_pending"
        assert (
            connected.qr_code is not None and connected.qr_code.data_url == f"data:image/png;base64,{PNG_B64}"
        )
        assert connected.secrets == {"wppconnect_token": state.token("soporte")}
        assert state.webhooks["soporte"] == HOOK
        qr = await provider.qr_code()
        assert qr is not None and qr.data_url.endswith(PNG_B64)
        state.sessions["soporte"] = "CONNECTED"
        assert (await provider.status()).connection_status == "connected"
        assert await provider.qr_code() is None
        assert (await provider.send_text(to="+573001234567", body="Hola")).startswith(
            "true_573001234567@c.us"
        )
        assert recorder.requests[-1][3] == {"phone": "573001234567", "isGroup": False, "message": "Hola"}
        state.token_salt = "v2"  # the server restarted: the stored token is refused once, then renewed
        stale = WppConnectProvider(
            http=http,
            server_url=url,
            session="soporte",
            secret_key="THISISMYSECURETOKEN",
            token=provider.token,
        )
        assert (await stale.status()).connection_status == "connected"
        assert stale.learned_secrets() == {"wppconnect_token": state.token("soporte")}
        await stale.disconnect()
        assert state.sessions["soporte"] == "CLOSED"
        bad_key = WppConnectProvider(http=http, server_url=url, session="soporte", secret_key="nope")
        with pytest.raises(ProviderError, match="SECRET_KEY is incorrect"):
            await bad_key.connect(webhook_url=HOOK)


async def test_evolution_instance_lifecycle() -> None:
    state, recorder = EvolutionState(api_key="GLOBALKEY"), Recorder()
    async with serve(evolution_app(state, recorder)) as url, httpx.AsyncClient() as http:
        provider = EvolutionProvider(http=http, server_url=url, instance_name="acme-1", api_key="GLOBALKEY")
        connected = await provider.connect(webhook_url=HOOK)
        token = state.instances["acme-1"]["token"]
        assert connected.secrets == {"evolution_instance_token": token}
        assert connected.qr_code is not None and connected.state.connection_status == "qr_pending"
        sent_config = recorder.requests[0][3]
        assert sent_config["integration"] == "WHATSAPP-BAILEYS" and sent_config["webhook"]["url"] == HOOK
        assert "MESSAGES_UPSERT" in sent_config["webhook"]["events"]
        later = EvolutionProvider(
            http=http, server_url=url, instance_name="acme-1", api_key="wrong", instance_token=token
        )
        assert (await later.status()).connection_status == "qr_pending"
        assert recorder.requests[-1][2]["apikey"] == token
        state.instances["acme-1"]["state"] = "open"
        assert (await later.status()).connection_status == "connected"
        assert await later.qr_code() is None
        assert await later.send_text(to="+573001234567", body="Olá") == "3EB0EVOTEST"
        await later.disconnect()
        assert (await later.status()).connection_status == "disconnected"
        with pytest.raises(ProviderError, match="already in use"):
            await provider.connect(webhook_url=HOOK)


async def test_an_unreachable_provider_is_a_provider_error() -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        provider = EvolutionProvider(
            http=http, server_url=f"http://127.0.0.1:{free_port()}", instance_name="x", api_key="k"
        )
        with pytest.raises(ProviderError, match=r"cannot reach 127\.0\.0\.1"):
            await provider.status()
