"""How each surface's deliveries look on the wire.

Every surface sends the body its spec shows — `{"event", "timestamp", "data"}` — and the platform
adds the body `signature` its spec shows. On top of the Standard Webhooks headers every delivery
carries, tasks adds `X-Reten-Signature: sha256=<hex>` exactly as its spec's `verify_signature`
recomputes it. The subscription ids each surface's API shows live here too, because the engine
puts them in the "webhook disabled" event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from nexo.webhooks.catalog import DISABLED_EVENT
from nexo.webhooks.signing import platform_signature, reten_signature

USER_AGENT = "Nexo-Webhooks/1"
TASKS_ID_PREFIX = "wh_"


def iso_timestamp(moment: datetime) -> str:
    """`2024-11-13T17:25:49Z`, the specs' timestamp form."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class SubscriptionRef:
    """What the engine knows of a subscription when it renders its public id."""

    id: int
    public_id: uuid.UUID


def _media_id(ref: SubscriptionRef) -> int | str:
    return ref.id


def _uuid_id(ref: SubscriptionRef) -> int | str:
    return str(ref.public_id)


def _tasks_id(ref: SubscriptionRef) -> int | str:
    return f"{TASKS_ID_PREFIX}{ref.public_id.hex}"


@dataclass(frozen=True, slots=True)
class DeliveryFormat:
    surface: str
    render_id: Callable[[SubscriptionRef], int | str]
    disabled_keys: tuple[str, str, str]  # (id, url, reason) in the surface's words and casing
    body_signature: bool = False  # platform: `signature` inside the body
    reten_header: bool = False  # tasks: X-Reten-Signature
    needs_verification: bool = False  # platform: challenge handshake before activation

    def body(self, *, event: str, occurred_at: datetime, data: Mapping[str, Any], secret: str) -> bytes:
        timestamp = iso_timestamp(occurred_at)
        document: dict[str, Any] = {"event": event, "timestamp": timestamp, "data": data}
        if self.body_signature:
            document["signature"] = platform_signature(
                secret=secret, event=event, timestamp=timestamp, data=data
            )
        return orjson.dumps(document)

    def extra_headers(self, *, body: bytes, secret: str) -> dict[str, str]:
        if self.reten_header:
            return {"X-Reten-Signature": reten_signature(secret=secret, body=body)}
        return {}

    def disabled_event(self, ref: SubscriptionRef, *, url: str, reason: str) -> tuple[str, dict[str, Any]]:
        id_key, url_key, reason_key = self.disabled_keys
        return DISABLED_EVENT[self.surface], {id_key: self.render_id(ref), url_key: url, reason_key: reason}


FORMATS: Mapping[str, DeliveryFormat] = {
    "media": DeliveryFormat("media", _media_id, ("webhook_id", "url", "motivo")),
    "collections": DeliveryFormat("collections", _uuid_id, ("webhookId", "url", "motivo")),
    "tasks": DeliveryFormat("tasks", _tasks_id, ("webhook_id", "url", "reason"), reten_header=True),
    "platform": DeliveryFormat(
        "platform",
        _uuid_id,
        ("webhookId", "url", "reason"),
        body_signature=True,
        needs_verification=True,
    ),
}


def format_for(surface: str) -> DeliveryFormat:
    return FORMATS[surface]


def parse_tasks_id(value: str) -> uuid.UUID | None:
    if not value.startswith(TASKS_ID_PREFIX):
        return None
    return parse_uuid(value.removeprefix(TASKS_ID_PREFIX))


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
