"""Building the adapter for a stored number from its provider settings and decrypted secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from nexo.integrations.whatsapp.base import ProviderError, WhatsAppProvider
from nexo.integrations.whatsapp.evolution import EvolutionProvider
from nexo.integrations.whatsapp.meta import MetaCloudProvider
from nexo.integrations.whatsapp.wppconnect import WppConnectProvider


def build_provider(
    provider: str,
    *,
    config: Mapping[str, Any],
    secrets: Mapping[str, str],
    http: httpx.AsyncClient,
    meta_graph_url: str,
) -> WhatsAppProvider:
    if provider == "meta":
        return MetaCloudProvider(
            http=http,
            graph_url=str(config.get("meta_graph_url") or meta_graph_url),
            phone_number_id=str(config["meta_phone_number_id"]),
            access_token=secrets["meta_access_token"],
        )
    if provider == "wppconnect":
        return WppConnectProvider(
            http=http,
            server_url=str(config["wppconnect_server_url"]),
            session=str(config["wppconnect_session_name"]),
            secret_key=secrets["wppconnect_api_key"],
            token=secrets.get("wppconnect_token"),
        )
    if provider == "evolution":
        return EvolutionProvider(
            http=http,
            server_url=str(config["evolution_server_url"]),
            instance_name=str(config["evolution_instance_name"]),
            api_key=secrets["evolution_api_key"],
            instance_token=secrets.get("evolution_instance_token"),
        )
    raise ProviderError(f"unknown provider {provider!r}")
