"""The entry point: `Client(api_key=..., base_url=...)`."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import httpx

from nexo_media.resources import (
    Agencias,
    Campanas,
    Clientes,
    Contratos,
    Medios,
    Ordenes,
    Proveedores,
    Reportes,
)
from nexo_media.transport import Transport

DEFAULT_BASE_URL = "http://127.0.0.1:8000/media/v2"


class Client:
    """A media API client.

        client = Client(api_key="nexo_live_…", base_url="https://api.example.com/media/v2")
        for cliente in client.clientes.listar():
            ...

    `api_key` is an API key or an OAuth client-credentials access token. Requests answered 429 or
    503 are retried up to `max_retries` times, waiting what `Retry-After` says (at most
    `max_retry_wait` seconds each time).
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self._transport = Transport(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            http=http_client,
            sleep=sleep,
        )
        self.clientes = Clientes(self._transport)
        self.ordenes = Ordenes(self._transport)
        self.campanas = Campanas(self._transport)
        self.agencias = Agencias(self._transport)
        self.proveedores = Proveedores(self._transport)
        self.medios = Medios(self._transport)
        self.contratos = Contratos(self._transport)
        self.reportes = Reportes(self._transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
