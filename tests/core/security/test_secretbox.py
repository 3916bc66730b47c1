"""Encryption at rest: round trip, tamper detection, key rotation and per-purpose key derivation."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from nexo.core.security.secretbox import SecretBox, SecretBoxError, derive_fernet_key

KEY_A = SecretBox.generate_key()
KEY_B = SecretBox.generate_key()
box = SecretBox([KEY_A])


@given(st.text())
def test_round_trip(plaintext: str) -> None:
    assert box.decrypt(box.encrypt(plaintext)) == plaintext


def test_ciphertext_is_randomised_and_hides_the_plaintext() -> None:
    first, second = box.encrypt("whsec_provider_token"), box.encrypt("whsec_provider_token")
    assert first != second
    assert "whsec_provider_token" not in first
    assert box.decrypt(first) == box.decrypt(second)


def test_wrong_key_cannot_decrypt() -> None:
    with pytest.raises(SecretBoxError):
        SecretBox([KEY_B]).decrypt(box.encrypt("seed"))


def test_tampered_ciphertext_is_detected() -> None:
    raw = bytearray(base64.urlsafe_b64decode(box.encrypt("seed")))
    raw[40] ^= 0x01
    with pytest.raises(SecretBoxError):
        box.decrypt(base64.urlsafe_b64encode(bytes(raw)).decode())


@given(st.text(max_size=200))
def test_garbage_fails_with_secretbox_error_only(garbage: str) -> None:
    with pytest.raises(SecretBoxError):
        box.decrypt(garbage)


def test_old_key_still_decrypts_after_a_new_key_is_prepended() -> None:
    old_token = SecretBox([KEY_A]).encrypt("provider-token")
    rotated_box = SecretBox([KEY_B, KEY_A])
    assert rotated_box.decrypt(old_token) == "provider-token"
    # New writes use the first key only.
    assert SecretBox([KEY_B]).decrypt(rotated_box.encrypt("new")) == "new"


def test_rotate_moves_a_token_to_the_first_key() -> None:
    old_token = SecretBox([KEY_A]).encrypt("provider-token")
    rotated = SecretBox([KEY_B, KEY_A]).rotate(old_token)
    assert SecretBox([KEY_B]).decrypt(rotated) == "provider-token"
    with pytest.raises(SecretBoxError):
        SecretBox([KEY_A]).decrypt(rotated)


def test_rotate_refuses_garbage() -> None:
    with pytest.raises(SecretBoxError):
        box.rotate("not-a-token")


def test_generated_keys_are_distinct_valid_fernet_keys() -> None:
    assert KEY_A != KEY_B
    assert len(base64.urlsafe_b64decode(KEY_A)) == 32
    Fernet(KEY_A)


def test_configuration_errors_are_clear_and_do_not_echo_keys() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        SecretBox([])
    with pytest.raises(ValueError, match="#2") as caught:
        SecretBox([KEY_A, "not-a-fernet-key"])
    assert "not-a-fernet-key" not in str(caught.value)
    with pytest.raises(TypeError):
        SecretBox(KEY_A)


def _reference_hkdf(master: bytes, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 for a single output block, written out independently of `cryptography`."""
    prk = hmac.new(salt, master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_derived_key_is_hkdf_sha256_of_the_master_and_purpose() -> None:
    master = b"m" * 48
    expected = _reference_hkdf(master, b"nexo.secretbox.v1", b"totp-seeds")
    assert base64.urlsafe_b64decode(derive_fernet_key(master, "totp-seeds")) == expected


def test_derived_keys_are_stable_and_separate_per_purpose_and_master() -> None:
    master = b"one-master-secret-for-everything"
    totp_key = derive_fernet_key(master, "totp-seeds")
    assert derive_fernet_key(master, "totp-seeds") == totp_key
    assert derive_fernet_key(master, "provider-tokens") != totp_key
    assert derive_fernet_key(master + b"!", "totp-seeds") != totp_key
    token = SecretBox([totp_key]).encrypt("JBSWY3DPEHPK3PXP")
    with pytest.raises(SecretBoxError):
        SecretBox([derive_fernet_key(master, "provider-tokens")]).decrypt(token)


def test_derivation_refuses_weak_inputs() -> None:
    with pytest.raises(ValueError, match="master"):
        derive_fernet_key(b"short", "totp-seeds")
    with pytest.raises(ValueError, match="purpose"):
        derive_fernet_key(b"m" * 32, "")
