"""Signatures are checked against published vectors and independent verifiers, never against themselves."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from nexo.webhooks.signing import (
    canonical_json,
    new_webhook_secret,
    platform_signature,
    reten_signature,
    sign_standard,
    standard_headers,
)

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("msg_id", "timestamp", "body", "expected"),
    [
        (
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ),
        (
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            1674087231,
            b'{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z",'
            b'"data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}',
            "v1,ARw42xaAApl/nxRo+iPGYwSaMQaOwMo2eyH5JBRA+bQ=",
        ),
    ],
)
def test_standard_signature_matches_published_vectors(
    msg_id: str, timestamp: int, body: bytes, expected: str
) -> None:
    assert sign_standard(secret=VECTOR_SECRET, msg_id=msg_id, timestamp=timestamp, body=body) == expected


def test_standard_signature_does_not_match_the_invalid_vector() -> None:
    signature = sign_standard(
        secret=VECTOR_SECRET,
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="


def _sign(secret: str) -> str:
    return sign_standard(secret=secret, msg_id="msg_1", timestamp=1, body=b"{}")


def test_secret_without_prefix_or_padding_gives_the_same_key() -> None:
    assert _sign(VECTOR_SECRET.removeprefix("whsec_")) == _sign(VECTOR_SECRET)
    padded = "whsec_" + base64.b64encode(b"k" * 25).decode()
    assert padded.endswith("=")
    assert _sign(padded.rstrip("=")) == _sign(padded)
    assert _sign(padded) != _sign(VECTOR_SECRET)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_@@@@"])
def test_malformed_secret_is_rejected(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        sign_standard(secret=secret, msg_id="msg_1", timestamp=1, body=b"{}")


@pytest.mark.parametrize("msg_id", ["", "msg.1"])
def test_message_id_must_be_unambiguous(msg_id: str) -> None:
    with pytest.raises(ValueError, match="message id"):
        sign_standard(secret=VECTOR_SECRET, msg_id=msg_id, timestamp=1, body=b"{}")


def test_new_secret_is_24_random_bytes_in_whsec_form() -> None:
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 24
    assert first != second
    headers = standard_headers(secrets=[first], msg_id="msg_new", timestamp=int(time.time()), body=b"{}")
    assert Webhook(first).verify(b"{}", headers) == {}


def test_headers_verify_with_the_standardwebhooks_library() -> None:
    secret = new_webhook_secret()
    body = json.dumps({"type": "task.created", "data": {"id": "task_001", "título": "Año"}}).encode()
    headers = standard_headers(secrets=[secret], msg_id="msg_abc", timestamp=int(time.time()), body=body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "msg_abc"
    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_tampered_body_or_other_secret_fails_library_verification() -> None:
    secret = new_webhook_secret()
    headers = standard_headers(
        secrets=[secret], msg_id="msg_abc", timestamp=int(time.time()), body=b'{"a":1}'
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(b'{"a":1}', headers)


def test_rotation_window_signs_with_both_secrets_and_each_alone_verifies() -> None:
    old, new = new_webhook_secret(), new_webhook_secret()
    body = b'{"type":"orden.creada","data":{"campa\xc3\xb1a":"verano"}}'
    headers = standard_headers(secrets=[old, new], msg_id="msg_rot", timestamp=int(time.time()), body=body)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(sig.startswith("v1,") for sig in signatures)
    assert Webhook(old).verify(body, headers) == json.loads(body)
    assert Webhook(new).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, headers)


def test_headers_require_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        standard_headers(secrets=[], msg_id="msg_1", timestamp=1, body=b"{}")


def _spec_verify_signature(secret: str, payload: bytes, signature: str) -> bool:
    """The tasks spec's receiver, as published (with the secret passed in)."""
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature)


def test_reten_signature_passes_the_spec_receiver() -> None:
    secret = "tu_secret_para_validar_webhooks"
    body = b'{"event":"task.created","timestamp":"2024-01-15T10:30:00Z","data":{"id":"task_001"}}'
    signature = reten_signature(secret=secret, body=body)
    assert _spec_verify_signature(secret, body, signature)
    assert not _spec_verify_signature(secret, body + b" ", signature)
    assert not _spec_verify_signature("otro_secret", body, signature)


def test_reten_signature_matches_the_github_sha256_vector() -> None:
    # Same construction as GitHub's X-Hub-Signature-256 (protocols.md §2), so its vector applies.
    assert (
        reten_signature(secret="It's a Secret to Everybody", body=b"Hello, World!")
        == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_reten_signature_keys_non_ascii_secret_as_utf8() -> None:
    secret = "contraseña"
    expected = hmac.new("contraseña".encode(), b"x", hashlib.sha256).hexdigest()
    assert reten_signature(secret=secret, body=b"x") == f"sha256={expected}"


def test_platform_signature_is_hmac_of_the_documented_canonical_form() -> None:
    data = {"tenantId": "t-1", "campaña": "sí", "plan": "Pro"}
    written_by_hand = (
        '{"data":{"campaña":"sí","plan":"Pro","tenantId":"t-1"},'
        '"event":"tenant.created","timestamp":"2025-01-27T10:00:00Z"}'
    ).encode()
    expected = hmac.new(b"panel-secret", written_by_hand, hashlib.sha256).hexdigest()
    signature = platform_signature(
        secret="panel-secret", event="tenant.created", timestamp="2025-01-27T10:00:00Z", data=data
    )
    assert signature == expected


def _panel(event: str, data: dict[str, object]) -> str:
    return platform_signature(secret="s", event=event, timestamp="2025-01-27T10:00:00Z", data=data)


def test_platform_signature_ignores_key_order_and_depends_on_every_field() -> None:
    one = _panel("lead.created", {"a": 1, "b": [1, 2]})
    assert one == _panel("lead.created", {"b": [1, 2], "a": 1})
    assert one != _panel("lead.created", {"a": 1, "b": [2, 1]})
    assert one != _panel("lead.updated", {"a": 1, "b": [1, 2]})
    other_time = platform_signature(
        secret="s", event="lead.created", timestamp="2025-01-27T10:00:01Z", data={"a": 1, "b": [1, 2]}
    )
    assert one != other_time


def test_canonical_json_refuses_nan() -> None:
    assert canonical_json({"b": 1, "a": "ñ"}) == '{"a":"ñ","b":1}'.encode()
    with pytest.raises(ValueError, match="JSON"):
        canonical_json({"x": float("nan")})
