"""Evolution API v2, protocols.md §5: one instance per number, `apikey` header authentication.

The instance is created with the global API key; its own token (`hash`) is kept (encrypted) and used
for every later call on the instance, so the global key is needed only to create it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nexo.integrations.whatsapp.base import (
    ConnectionStatus,
    ConnectResult,
    ProviderError,
    ProviderState,
    QrCode,
    call,
    json_of,
    png_data_url,
)

NAME = "evolution"
WEBHOOK_EVENTS = ("MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE", "QRCODE_UPDATED")
_STATES: dict[str, ConnectionStatus] = {
    "open": "connected",
    "connecting": "qr_pending",
    "close": "disconnected",
}


@dataclass(slots=True)
class EvolutionProvider:
    http: httpx.AsyncClient
    server_url: str
    instance_name: str
    api_key: str
    instance_token: str | None = None
    name: str = NAME

    def _url(self, path: str) -> str:
        return f"{self.server_url.rstrip('/')}{path}"

    def _headers(self, *, global_key: bool = False) -> dict[str, str]:
        key = self.api_key if global_key or not self.instance_token else self.instance_token
        return {"apikey": key}

    async def connect(self, *, webhook_url: str) -> ConnectResult:
        payload = {
            "instanceName": self.instance_name,
            "integration": "WHATSAPP-BAILEYS",
            "qrcode": True,
            "webhook": {
                "url": webhook_url,
                "byEvents": False,
                "base64": False,
                "events": list(WEBHOOK_EVENTS),
            },
        }
        response = await call(
            self.http,
            "POST",
            self._url("/instance/create"),
            provider=NAME,
            json=payload,
            headers=self._headers(global_key=True),
        )
        body = json_of(response, provider=NAME)
        token = body.get("hash")
        secrets = {"evolution_instance_token": token} if isinstance(token, str) and token else {}
        if secrets:
            self.instance_token = token if isinstance(token, str) else None
        qr = (body.get("qrcode") or {}).get("base64") if isinstance(body.get("qrcode"), dict) else None
        qr_code = QrCode(png_data_url(qr)) if isinstance(qr, str) and qr else None
        state = ProviderState("qr_pending" if qr_code else "connecting", "created")
        return ConnectResult(state=state, qr_code=qr_code, secrets=secrets)

    async def status(self) -> ProviderState:
        url = self._url(f"/instance/connectionState/{self.instance_name}")
        body = json_of(
            await call(self.http, "GET", url, provider=NAME, headers=self._headers()), provider=NAME
        )
        instance = body.get("instance") if isinstance(body.get("instance"), dict) else {}
        raw_state = str((instance or {}).get("state") or "close")
        return ProviderState(_STATES.get(raw_state, "disconnected"), raw_state)

    async def qr_code(self) -> QrCode | None:
        url = self._url(f"/instance/connect/{self.instance_name}")
        body = json_of(
            await call(self.http, "GET", url, provider=NAME, headers=self._headers()), provider=NAME
        )
        if isinstance(body.get("base64"), str) and body["base64"]:
            return QrCode(png_data_url(body["base64"]))
        instance = body.get("instance")
        if isinstance(instance, dict) and instance.get("state") == "open":
            return None
        raise ProviderError(f"{NAME}: no QR code available yet")

    async def disconnect(self) -> None:
        url = self._url(f"/instance/logout/{self.instance_name}")
        await call(self.http, "DELETE", url, provider=NAME, headers=self._headers())

    async def send_text(self, *, to: str, body: str) -> str:
        url = self._url(f"/message/sendText/{self.instance_name}")
        payload = {"number": to.lstrip("+"), "text": body}
        answer = json_of(
            await call(self.http, "POST", url, provider=NAME, json=payload, headers=self._headers()),
            provider=NAME,
        )
        key = answer.get("key")
        message_id = key.get("id") if isinstance(key, dict) else None
        if not isinstance(message_id, str):
            raise ProviderError(f"{NAME}: the send answer has no message id")
        return message_id
