"""Access tokens: round trip, lifetime, and every way a forged or foreign token must fail."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexo.core.security.jwt_tokens import (
    LEEWAY_SECONDS,
    AccessTokenCodec,
    InvalidToken,
)

SECRET = secrets.token_bytes(64)
ISSUER = "https://nexo.test"
codec = AccessTokenCodec(SECRET, ISSUER)


def _issue(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "subject": "42",
        "tenant_id": 7,
        "audience": "crm",
        "ttl_seconds": 900,
        "session_id": "sess-1",
    }
    arguments.update(overrides)
    return codec.encode(**arguments)


def _b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def _reason(token: str, audience: str = "crm", decoder: AccessTokenCodec = codec) -> str:
    with pytest.raises(InvalidToken) as caught:
        decoder.decode(token, audience=audience)
    return caught.value.reason


def test_round_trip_returns_every_claim() -> None:
    before = int(time.time())
    token = _issue(extra={"perms": ["chats.read"], "role": "agent"})
    claims = codec.decode(token, audience="crm")
    assert (claims.sub, claims.tenant_id, claims.aud, claims.sid) == ("42", 7, "crm", "sess-1")
    assert before <= claims.iat <= int(time.time())
    assert claims.exp - claims.iat == 900
    assert dict(claims.extra) == {"perms": ["chats.read"], "role": "agent"}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_tenantless_token_round_trips_with_none() -> None:
    assert codec.decode(_issue(tenant_id=None), audience="crm").tenant_id is None


def test_every_token_gets_its_own_jti() -> None:
    first = codec.decode(_issue(), audience="crm")
    second = codec.decode(_issue(), audience="crm")
    assert first.jti != second.jti


def test_expired_token_is_refused() -> None:
    token = _issue(ttl_seconds=60, now=int(time.time()) - 3600)
    assert _reason(token) == "expired"


def test_leeway_forgives_small_clock_skew_only() -> None:
    now = int(time.time())
    just_expired = _issue(ttl_seconds=60, now=now - 60 - (LEEWAY_SECONDS - 5))
    assert codec.decode(just_expired, audience="crm").sub == "42"
    long_expired = _issue(ttl_seconds=60, now=now - 60 - (LEEWAY_SECONDS + 5))
    assert _reason(long_expired) == "expired"


def test_token_issued_in_the_future_is_refused() -> None:
    assert _reason(_issue(now=int(time.time()) + 3600)) == "not_yet_valid"


def test_tampered_signature_is_refused() -> None:
    header, payload, signature = _issue().split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    forged = f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    assert _reason(forged) == "bad_signature"


def test_tampered_payload_is_refused() -> None:
    token = _issue()
    header, _, signature = token.split(".")
    claims = _payload_of(token)
    claims["sub"] = "1"
    assert _reason(f"{header}.{_b64url(claims)}.{signature}") == "bad_signature"


def test_token_signed_with_another_secret_is_refused() -> None:
    other = AccessTokenCodec(secrets.token_bytes(64), ISSUER)
    token = other.encode(subject="42", tenant_id=7, audience="crm", ttl_seconds=60, session_id="s")
    assert _reason(token) == "bad_signature"


@pytest.mark.parametrize("signature", ["", "AAAA"])
def test_alg_none_token_is_refused(signature: str) -> None:
    claims = _payload_of(_issue())
    forged = f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}.{signature}"
    assert _reason(forged) == "wrong_algorithm"


def test_other_hmac_algorithm_with_the_right_secret_is_refused() -> None:
    token = jwt.encode(_payload_of(_issue()), SECRET, algorithm="HS512")
    assert _reason(token) == "wrong_algorithm"


def test_wrong_audience_is_refused() -> None:
    assert _reason(_issue(audience="collections")) == "wrong_audience"


def test_wrong_issuer_is_refused() -> None:
    foreign = AccessTokenCodec(SECRET, "https://elsewhere.test")
    token = foreign.encode(subject="42", tenant_id=7, audience="crm", ttl_seconds=60, session_id="s")
    assert _reason(token) == "wrong_issuer"


@pytest.mark.parametrize("missing", ["sid", "exp", "sub", "aud", "iss", "iat", "jti"])
def test_token_missing_a_required_claim_is_refused(missing: str) -> None:
    claims = _payload_of(_issue())
    del claims[missing]
    assert _reason(jwt.encode(claims, SECRET, algorithm="HS256")) == "missing_claim"


def test_well_signed_token_with_wrong_claim_type_is_refused() -> None:
    claims = _payload_of(_issue())
    claims["tid"] = "7"
    assert _reason(jwt.encode(claims, SECRET, algorithm="HS256")) == "malformed"


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_garbage_is_refused(garbage: str) -> None:
    assert _reason(garbage) in {"malformed", "bad_signature"}


@given(st.text(max_size=300))
def test_any_text_fails_only_with_invalid_token(text: str) -> None:
    with pytest.raises(InvalidToken):
        codec.decode(text, audience="crm")


def test_extra_claims_cannot_override_validated_claims() -> None:
    with pytest.raises(ValueError, match="reserved"):
        _issue(extra={"aud": "platform"})


def test_short_secret_and_bad_ttl_are_configuration_errors() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AccessTokenCodec(b"too-short", ISSUER)
    with pytest.raises(ValueError, match="positive"):
        _issue(ttl_seconds=0)
