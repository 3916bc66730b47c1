"""Verify the webhooks Nexo sends, before trusting their content.

Deliveries are signed with Standard Webhooks headers: `webhook-id`, `webhook-timestamp` (Unix
seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, several separated by spaces while a
secret is being rotated), over `"{id}.{timestamp}.{raw body}"`, keyed with the base64 part of the
`whsec_…` secret shown when the webhook was registered.

    evento = verify_webhook(request.body, request.headers, secret="whsec_…")
    if evento["event"] == "orden.completada": ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from nexo_media.errors import WebhookVerificationError

DEFAULT_TOLERANCE_SECONDS = 300  # refuse replays of old deliveries


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("the secret must be 'whsec_' followed by base64") from exc


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get(name)
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def signature_for(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<signature>` for a payload: what Nexo sends, for tests of your own receiver."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The decoded event, or `WebhookVerificationError` when anything does not check out. Pass the
    raw body exactly as received: re-serialised JSON will not match the signature."""
    raw = body.encode() if isinstance(body, str) else body
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    if not stamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not a Unix time")
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance window")
    expected = signature_for(secret, msg_id, timestamp, raw).split(",", 1)[1]
    offered = [part.split(",", 1) for part in _header(headers, "webhook-signature").split()]
    if not any(len(p) == 2 and p[0] == "v1" and hmac.compare_digest(p[1], expected) for p in offered):
        raise WebhookVerificationError("no signature matches")
    try:
        event: dict[str, Any] = json.loads(raw)
    except ValueError as exc:
        raise WebhookVerificationError("the body is not JSON") from exc
    return event
