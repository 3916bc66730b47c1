"""Scopes, PKCE and machine-token typing: the pure pieces under the OAuth and connector flows."""

from __future__ import annotations

import pytest

from nexo.core.errors import ValidationFailed
from nexo.core.security.jwt_tokens import InvalidToken
from nexo.core.security.opaque import new_api_key
from nexo.core.settings import Settings
from nexo.credentials.oauth.errors import OAuthError
from nexo.credentials.oauth.grants import granted_scopes
from nexo.credentials.oauth.pkce import is_valid_challenge, s256_challenge, verifier_matches
from nexo.credentials.scopes import MEDIA_SCOPES, check_scopes, format_scope, parse_scope
from nexo.credentials.tokens import machine_codec, unverified_token_type
from nexo.identity.keys import access_codec

# RFC 7636 Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_matches_the_rfc_7636_example() -> None:
    assert s256_challenge(RFC_VERIFIER) == RFC_CHALLENGE
    assert verifier_matches(RFC_VERIFIER, RFC_CHALLENGE)
    assert is_valid_challenge(RFC_CHALLENGE)


@pytest.mark.parametrize(
    "verifier",
    [RFC_VERIFIER[:-1] + "l", "short", RFC_VERIFIER + " ", "é" * 43, RFC_CHALLENGE],
)
def test_other_verifiers_do_not_match(verifier: str) -> None:
    assert not verifier_matches(verifier, RFC_CHALLENGE)


def test_scope_strings_are_split_deduplicated_and_sorted() -> None:
    assert parse_scope("write:ordenes  read:clientes read:clientes") == ["read:clientes", "write:ordenes"]
    assert parse_scope(None) == parse_scope("") == []
    assert format_scope(["write:ordenes", "read:clientes"]) == "read:clientes write:ordenes"


def test_media_scopes_are_rfc_6749_scope_tokens() -> None:
    # §3.3: %x21 / %x23-5B / %x5D-7E — printable ASCII without space, quote or backslash.
    for scope in MEDIA_SCOPES:
        assert all(0x21 <= ord(ch) <= 0x7E and ch not in '"\\' for ch in scope), scope
    assert "read:campanas" in MEDIA_SCOPES


def test_chosen_scopes_must_exist_on_the_surface() -> None:
    assert check_scopes("tasks", ["tasks:write", "tasks:read", "tasks:read"]) == ["tasks:read", "tasks:write"]
    with pytest.raises(ValidationFailed) as raised:
        check_scopes("tasks", ["tasks:read", "read:clientes"])
    assert [detail.field for detail in raised.value.details] == ["scopes"]
    with pytest.raises(ValidationFailed):
        check_scopes("media", [])


def test_requested_scopes_must_be_a_subset_of_the_allowed_ones() -> None:
    allowed = ["read:clientes", "write:ordenes"]
    assert granted_scopes(allowed, None) == allowed
    assert granted_scopes(allowed, "read:clientes") == ["read:clientes"]
    with pytest.raises(OAuthError) as raised:
        granted_scopes(allowed, "read:clientes write:clientes")
    assert raised.value.error == "invalid_scope"
    assert raised.value.status_code == 400


def test_machine_tokens_are_typed_and_signed_with_their_own_key(settings: Settings) -> None:
    token = machine_codec(settings).encode(
        subject="nxc_x",
        tenant_id=1,
        audience="media",
        ttl_seconds=60,
        session_id="s",
        extra={"typ": "client"},
    )
    assert unverified_token_type(token) == "client"
    # A user-token verifier that forgot the `typ` rule still cannot accept it: the keys differ.
    with pytest.raises(InvalidToken) as raised:
        access_codec(settings).decode(token, audience="media")
    assert raised.value.reason == "bad_signature"
    user_token = access_codec(settings).encode(
        subject="1", tenant_id=1, audience="media", ttl_seconds=60, session_id="s"
    )
    assert unverified_token_type(user_token) is None


@pytest.mark.parametrize("credential", ["", "a.b", "x.y.z", "not a token"])
def test_non_jwts_have_no_token_type(credential: str) -> None:
    assert unverified_token_type(credential) is None


def test_api_keys_are_not_mistaken_for_machine_tokens() -> None:
    assert unverified_token_type(new_api_key().full) is None
