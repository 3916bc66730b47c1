"""WhatsApp Cloud API (Meta Graph API), protocols.md §3.

Meta numbers have no session to open and no QR: "connecting" is checking that the access token can
read the phone number (`GET /<PHONE_NUMBER_ID>`), which is also the health check.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nexo.integrations.whatsapp.base import (
    ConnectResult,
    ProviderError,
    ProviderState,
    QrCode,
    call,
    json_of,
)

NAME = "meta"
PHONE_FIELDS = "display_phone_number,verified_name,quality_rating"


@dataclass(slots=True)
class MetaCloudProvider:
    http: httpx.AsyncClient
    graph_url: str  # https://graph.facebook.com/v25.0
    phone_number_id: str
    access_token: str
    name: str = NAME

    def _url(self, path: str = "") -> str:
        return f"{self.graph_url.rstrip('/')}/{self.phone_number_id}{path}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def connect(self, *, webhook_url: str) -> ConnectResult:
        # The webhook URL is configured in Meta's App Dashboard, not through this API.
        return ConnectResult(state=await self.status())

    async def status(self) -> ProviderState:
        response = await call(
            self.http,
            "GET",
            self._url(),
            provider=NAME,
            params={"fields": PHONE_FIELDS},
            headers=self._headers(),
        )
        body = json_of(response, provider=NAME)
        if str(body.get("id", "")) != self.phone_number_id:
            raise ProviderError(f"{NAME}: the Graph API answered for another phone number id")
        return ProviderState("connected", str(body.get("quality_rating") or "CONNECTED"))

    async def qr_code(self) -> QrCode | None:
        return None

    async def disconnect(self) -> None:
        """Nothing to close at Meta: the number stops being used here."""

    async def send_text(self, *, to: str, body: str) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        response = await call(
            self.http, "POST", self._url("/messages"), provider=NAME, json=payload, headers=self._headers()
        )
        messages = json_of(response, provider=NAME).get("messages") or [{}]
        message_id = messages[0].get("id") if isinstance(messages[0], dict) else None
        if not isinstance(message_id, str):
            raise ProviderError(f"{NAME}: the send answer has no message id")
        return message_id
