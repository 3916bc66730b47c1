"""Encryption of secrets at rest: provider tokens, webhook secrets, TOTP seeds.

These must be recovered in plain text to be used, so they are encrypted rather than hashed. Fernet
(AES-128-CBC + HMAC-SHA256) authenticates every token, so a tampered ciphertext fails loudly instead of
decrypting to garbage. Several keys may be configured: the first encrypts, all decrypt, so a key can be
rotated by prepending a new one, re-encrypting rows with `rotate`, and then dropping the old key.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_MASTER_BYTES = 16
# Fixed and public on purpose: HKDF's salt adds domain separation, not secrecy. Changing it changes
# every derived key, so it is versioned.
_HKDF_SALT = b"nexo.secretbox.v1"


class SecretBoxError(Exception):
    """A ciphertext could not be decrypted: wrong key, tampered, truncated or not a token at all."""


class SecretBox:
    """Encrypts and decrypts short strings with a rotating list of Fernet keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            # A bare string is a sequence of characters; catching it avoids a baffling key error.
            raise TypeError("keys must be a sequence of Fernet keys, not a single string")
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        self._fernet = MultiFernet([_fernet(key, position) for position, key in enumerate(keys)])

    @staticmethod
    def generate_key() -> str:
        """A fresh random Fernet key (32 bytes, base64url), for configuration."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the first key. Output differs on every call (random IV) and embeds a timestamp."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt with whichever configured key matches; raise `SecretBoxError` if none does."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except (InvalidToken, ValueError) as error:
            # ValueError covers non-ASCII input (base64 refuses it) and non-UTF-8 plaintext.
            raise SecretBoxError("cannot decrypt secret: wrong key or damaged ciphertext") from error

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first key, keeping its plaintext; for key rotation jobs."""
        try:
            return self._fernet.rotate(token).decode("ascii")
        except (InvalidToken, ValueError) as error:
            raise SecretBoxError("cannot rotate secret: wrong key or damaged ciphertext") from error


def _fernet(key: str, position: int) -> Fernet:
    try:
        return Fernet(key)
    except ValueError as error:
        # Say which key is wrong, never echo the key itself into logs.
        raise ValueError(f"encryption key #{position + 1} is not a valid Fernet key") from error


def derive_fernet_key(master: bytes, purpose: str) -> str:
    """Derive an independent Fernet key for `purpose` from one master secret (HKDF-SHA256, RFC 5869).

    One configured secret can then serve TOTP seeds, provider tokens and webhook secrets with separate
    keys, so a bug that leaks or misuses one purpose's key does not expose the others.
    """
    if len(master) < MIN_MASTER_BYTES:
        raise ValueError(f"master secret must be at least {MIN_MASTER_BYTES} bytes")
    if not purpose:
        raise ValueError("purpose must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=purpose.encode("utf-8"))
    return base64.urlsafe_b64encode(hkdf.derive(master)).decode("ascii")
