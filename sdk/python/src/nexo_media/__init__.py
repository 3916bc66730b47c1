"""Python client for the Nexo media API (PautaPro v2).

from nexo_media import Client

client = Client(api_key="…", base_url="https://api.example.com/media/v2")
for cliente in client.clientes.listar():
    print(cliente.nombre, cliente.rentabilidad_promedio)
"""

from nexo_media.client import Client
from nexo_media.errors import (
    AuthenticationError,
    ConflictError,
    ErrorDetail,
    NexoAPIError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WebhookVerificationError,
)
from nexo_media.models import (
    Agencia,
    Campana,
    Cliente,
    ClienteRef,
    Contrato,
    Medio,
    MedioRef,
    Orden,
    OrdenItem,
    Proveedor,
    Tarifa,
)
from nexo_media.resources import Paginated
from nexo_media.webhooks import verify_webhook

__version__ = "0.1.0"

__all__ = [
    "Agencia",
    "AuthenticationError",
    "Campana",
    "Client",
    "Cliente",
    "ClienteRef",
    "ConflictError",
    "Contrato",
    "ErrorDetail",
    "Medio",
    "MedioRef",
    "NexoAPIError",
    "NotFoundError",
    "Orden",
    "OrdenItem",
    "Paginated",
    "PermissionDeniedError",
    "Proveedor",
    "RateLimitError",
    "ServerError",
    "Tarifa",
    "ValidationError",
    "WebhookVerificationError",
    "verify_webhook",
]
