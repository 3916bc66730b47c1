"""The interface every WhatsApp provider adapter implements, and what it answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

ConnectionStatus = Literal["connected", "connecting", "qr_pending", "disconnected"]


class ProviderError(Exception):
    """The provider could not be reached or refused the request; `message` is fit for `last_error`."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class ProviderState:
    connection_status: ConnectionStatus
    detail: str  # the provider's own word for the state (CONNECTED, open, …), for people debugging


@dataclass(frozen=True, slots=True)
class QrCode:
    data_url: str  # data:image/png;base64,…


@dataclass(frozen=True, slots=True)
class ConnectResult:
    state: ProviderState
    qr_code: QrCode | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)  # to store (encrypted) for later calls


class WhatsAppProvider(Protocol):
    name: str

    async def connect(self, *, webhook_url: str) -> ConnectResult:
        """Set the number up at the provider (session, instance, credential check)."""
        ...

    async def status(self) -> ProviderState: ...

    async def qr_code(self) -> QrCode | None:
        """The pairing QR, or None when the session is already connected."""
        ...

    async def disconnect(self) -> None: ...

    async def send_text(self, *, to: str, body: str) -> str:
        """Send a text message; the provider's message id."""
        ...


def png_data_url(value: str) -> str:
    """Providers answer QR images with or without the `data:` prefix; always add it."""
    return value if value.startswith("data:") else f"data:image/png;base64,{value}"


async def call(
    http: httpx.AsyncClient, method: str, url: str, *, provider: str, **kwargs: Any
) -> httpx.Response:
    """One request; transport failures and error statuses become `ProviderError`."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        raise ProviderError(f"{provider}: no answer from {_host(url)} in time") from error
    except httpx.HTTPError as error:
        raise ProviderError(f"{provider}: cannot reach {_host(url)} ({type(error).__name__})") from error
    if response.status_code >= 400:
        raise ProviderError(
            f"{provider}: HTTP {response.status_code} {_reason(response)}", status_code=response.status_code
        )
    return response


def json_of(response: httpx.Response, *, provider: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise ProviderError(f"{provider}: answered something that is not JSON") from error
    if not isinstance(body, dict):
        raise ProviderError(f"{provider}: answered an unexpected JSON shape")
    return body


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _reason(response: httpx.Response) -> str:
    """The provider's own error message when its body has one (Graph `error.message`, `message`)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:300]
        nested = body.get("response")  # Evolution: {"response": {"message": ["…"]}}
        if isinstance(nested, dict) and nested.get("message"):
            message = nested["message"]
            return ("; ".join(map(str, message)) if isinstance(message, list) else str(message))[:300]
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])[:300]
    return response.reason_phrase
