"""The SDK's webhook helper accepts exactly what Nexo's webhook engine signs."""

from __future__ import annotations

import json
import time

import pytest
from nexo_media import WebhookVerificationError, verify_webhook

from nexo.webhooks.signing import new_webhook_secret, sign_standard


def test_a_nexo_signature_verifies_with_the_sdk() -> None:
    secret = new_webhook_secret()
    body = json.dumps(
        {
            "event": "orden.creada",
            "timestamp": "2024-11-13T17:25:49Z",
            "data": {"orden_id": 12345, "cliente_id": 678, "estado": "pendiente"},
        }
    ).encode()
    now = int(time.time())
    headers = {
        "webhook-id": "msg_abc",
        "webhook-timestamp": str(now),
        "webhook-signature": sign_standard(secret=secret, msg_id="msg_abc", timestamp=now, body=body),
    }
    assert verify_webhook(body, headers, secret=secret)["data"]["orden_id"] == 12345
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, secret=new_webhook_secret())
