"""WhatsApp providers behind one interface: Meta's Cloud API, WPPConnect Server, Evolution API.

    provider = build_provider(config, secrets, http=client)
    state = await provider.status()

Adapters are plain httpx clients of each provider's HTTP API, as `shared/reference/protocols.md`
(§3–5) records it; they hold no database state. What they learn that must be kept (a session token,
an instance token) comes back in `ConnectResult.secrets` for the caller to store encrypted.
"""

from nexo.integrations.whatsapp.base import (
    ConnectResult,
    ProviderError,
    ProviderState,
    QrCode,
    WhatsAppProvider,
)
from nexo.integrations.whatsapp.factory import build_provider

__all__ = [
    "ConnectResult",
    "ProviderError",
    "ProviderState",
    "QrCode",
    "WhatsAppProvider",
    "build_provider",
]
