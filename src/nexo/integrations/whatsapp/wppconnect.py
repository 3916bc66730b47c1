"""WPPConnect Server, protocols.md §4.

A session is authorised by a token the server derives from its SECRET_KEY
(`POST /api/:session/:secretkey/generate-token`); the token is kept (encrypted) and regenerated once
when the server stops accepting it (a restarted server with a new key).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

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

NAME = "wppconnect"
_STATES: dict[str, ConnectionStatus] = {
    "CONNECTED": "connected",
    "QRCODE": "qr_pending",
    "INITIALIZING": "connecting",
    "CLOSED": "disconnected",
}


@dataclass(slots=True)
class WppConnectProvider:
    http: httpx.AsyncClient
    server_url: str
    session: str
    secret_key: str
    token: str | None = None
    name: str = NAME
    _new_secrets: dict[str, str] = field(default_factory=dict)

    def _url(self, path: str) -> str:
        return f"{self.server_url.rstrip('/')}/api/{self.session}{path}"

    async def _generate_token(self) -> str:
        url = self._url(f"/{self.secret_key}/generate-token")
        body = json_of(await call(self.http, "POST", url, provider=NAME), provider=NAME)
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise ProviderError(f"{NAME}: generate-token answered without a token")
        self.token = token
        self._new_secrets["wppconnect_token"] = token
        return token

    async def _authed(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.token or await self._generate_token()
        try:
            return await call(
                self.http, method, self._url(path), provider=NAME, headers=_bearer(token), **kwargs
            )
        except ProviderError as error:
            if error.status_code != 401:
                raise
        token = await self._generate_token()
        return await call(self.http, method, self._url(path), provider=NAME, headers=_bearer(token), **kwargs)

    async def connect(self, *, webhook_url: str) -> ConnectResult:
        await self._generate_token()
        response = await self._authed(
            "POST", "/start-session", json={"webhook": webhook_url, "waitQrCode": True}
        )
        body = json_of(response, provider=NAME)
        raw_state = str(body.get("status") or "").upper()
        qr = body.get("qrcode")
        state = ProviderState(_STATES.get(raw_state, "connecting"), raw_state or "UNKNOWN")
        return ConnectResult(
            state=state,
            qr_code=QrCode(png_data_url(qr)) if isinstance(qr, str) and qr else None,
            secrets=dict(self._new_secrets),
        )

    async def status(self) -> ProviderState:
        body = json_of(await self._authed("GET", "/status-session"), provider=NAME)
        raw_state = str(body.get("status") or "CLOSED").upper()
        return ProviderState(_STATES.get(raw_state, "connecting"), raw_state)

    async def qr_code(self) -> QrCode | None:
        response = await self._authed("GET", "/qrcode-session")
        if response.headers.get("content-type", "").startswith("image/"):
            return QrCode(png_data_url(base64.b64encode(response.content).decode("ascii")))
        body = json_of(response, provider=NAME)
        if str(body.get("status") or "").upper() == "CONNECTED":
            return None
        raise ProviderError(f"{NAME}: {body.get('message') or 'no QR code available'}")

    async def disconnect(self) -> None:
        await self._authed("POST", "/close-session")

    async def send_text(self, *, to: str, body: str) -> str:
        payload = {"phone": to.lstrip("+"), "isGroup": False, "message": body}
        answer = json_of(await self._authed("POST", "/send-message", json=payload), provider=NAME)
        sent = answer.get("response") or [{}]
        message_id = sent[0].get("id") if isinstance(sent, list) and isinstance(sent[0], dict) else None
        if not isinstance(message_id, str):
            raise ProviderError(f"{NAME}: the send answer has no message id")
        return message_id

    def learned_secrets(self) -> dict[str, str]:
        """Secrets obtained since construction (a regenerated token), for the caller to store."""
        return dict(self._new_secrets)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
