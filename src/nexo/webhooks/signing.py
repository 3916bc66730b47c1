"""Signatures for outgoing webhooks.

Every delivery carries Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`) so any receiver with a Standard Webhooks or Svix library can verify it. Some
surfaces also promise a signature of their own, computed here as well:

- tasks: `X-Reten-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the secret's
  UTF-8 bytes, exactly what the spec's `verify_signature` recomputes.
- platform: the spec shows a `signature` field inside the JSON body but never says how it is
  computed, so we define it (see `platform_signature`).

This is our own implementation of the Standard Webhooks spec; the `standardwebhooks` library is
only used by the tests, as an independent verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from secrets import token_bytes
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of the format, not a secret
SECRET_BYTES = 24  # the spec allows 24-64 random bytes; 24 matches Svix-issued secrets


def new_webhook_secret() -> str:
    """Return a fresh `whsec_…` secret, to be shown to the subscriber once and stored encrypted."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def _standard_key(secret: str) -> bytes:
    """Decode a `whsec_` secret into the HMAC key.

    The key is the base64-decoded part after the prefix, not the literal string: signing with the
    string would produce signatures no Standard Webhooks library accepts. Missing padding is
    tolerated because some dashboards strip it.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret must be 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign_standard(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return `v1,<base64 HMAC-SHA256>` over `{msg_id}.{timestamp}.{body}`.

    The id may not contain a full stop: it would make the signed content ambiguous.
    """
    if not msg_id or "." in msg_id:
        raise ValueError("webhook message id must be non-empty and contain no '.'")
    content = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(_standard_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def standard_headers(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Build the three Standard Webhooks headers for one delivery attempt.

    One `v1,…` signature per secret, space-separated: during a rotation overlap window both the old
    and the new secret sign, so a receiver configured with either one keeps verifying.
    `timestamp` is the Unix time of this attempt (it changes on retry; the id does not).
    """
    if not secrets:
        raise ValueError("at least one webhook secret is required")
    signatures = [
        sign_standard(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(signatures),
    }


def reten_signature(*, secret: str, body: bytes) -> str:
    """Return the tasks surface's `X-Reten-Signature` value: `sha256=<hex>`.

    Keyed with the secret's UTF-8 bytes as given by the subscriber (the spec's receiver does
    `WEBHOOK_SECRET.encode()`), over the exact bytes sent; no timestamp, as the spec has none.
    """
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def canonical_json(value: Any) -> bytes:
    """Serialize JSON-native data deterministically: sorted keys, no spaces, UTF-8, no NaN.

    A receiver re-serializes the parsed body the same way, so key order and whitespace on the
    wire do not matter.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def platform_signature(*, secret: str, event: str, timestamp: str, data: Mapping[str, Any]) -> str:
    """Return the platform panel's body `signature` field: lowercase hex HMAC-SHA256.

    The panel spec shows the field but not its computation, so we define it: the message is
    `canonical_json({"event": event, "timestamp": timestamp, "data": data})` (the body without
    `signature`; sorted keys, separators `,` and `:`, non-ASCII kept as UTF-8), the key is the
    subscriber's secret as UTF-8 bytes. A receiver verifies by removing `signature` from the parsed
    body, re-serializing it that way and comparing in constant time. Receivers that can should
    prefer the Standard Webhooks headers, which sign the exact bytes sent.
    """
    message = canonical_json({"event": event, "timestamp": timestamp, "data": dict(data)})
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
