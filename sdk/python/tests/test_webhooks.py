"""Webhook signature verification (Standard Webhooks)."""

from __future__ import annotations

import base64
import json

import pytest
from nexo_media import WebhookVerificationError, verify_webhook
from nexo_media.webhooks import signature_for

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()
BODY = json.dumps({"event": "orden.completada", "data": {"orden_id": 5}}).encode()
NOW = 1_732_000_000


def _headers(**overrides: str) -> dict[str, str]:
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": signature_for(SECRET, "msg_1", NOW, BODY),
    }
    return {**headers, **overrides}


def test_a_genuine_delivery_verifies_and_decodes() -> None:
    event = verify_webhook(BODY, _headers(), secret=SECRET, now=NOW + 10)
    assert event["data"]["orden_id"] == 5


def test_header_names_are_case_insensitive_and_rotated_signatures_accepted() -> None:
    headers = {k.title(): v for k, v in _headers().items()}
    headers["Webhook-Signature"] = "v1,bm9wZQ== " + headers["Webhook-Signature"]
    assert verify_webhook(BODY.decode(), headers, secret=SECRET, now=NOW)["event"] == "orden.completada"


@pytest.mark.parametrize(
    ("body", "headers", "now"),
    [
        (BODY + b" ", _headers(), NOW),  # body altered
        (BODY, _headers(**{"webhook-id": "msg_2"}), NOW),  # id swapped
        (BODY, _headers(), NOW + 301),  # too old: a replay
        (BODY, _headers(**{"webhook-timestamp": "yesterday"}), NOW),
        (BODY, {"webhook-id": "msg_1", "webhook-timestamp": str(NOW)}, NOW),  # unsigned
    ],
)
def test_anything_off_is_refused(body: bytes, headers: dict[str, str], now: int) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret=SECRET, now=now)


def test_the_wrong_secret_is_refused() -> None:
    other = "whsec_" + base64.b64encode(b"another-secret-24-bytes!").decode()
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, _headers(), secret=other, now=NOW)
