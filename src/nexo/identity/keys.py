"""The keys identity derives from the instance secrets, and the per-surface token lifetimes."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from nexo.core.security.jwt_tokens import AccessTokenCodec
from nexo.core.security.secretbox import SecretBox, derive_fernet_key
from nexo.core.settings import Settings

ISSUER = "nexo"


@lru_cache(maxsize=8)
def _codec(secret: str) -> AccessTokenCodec:
    return AccessTokenCodec(secret.encode("utf-8"), issuer=ISSUER)


def access_codec(settings: Settings) -> AccessTokenCodec:
    """The codec for people's access tokens; the audience of each token is the surface it serves."""
    return _codec(settings.resolved_secret_key())


@lru_cache(maxsize=8)
def _box(master: str) -> SecretBox:
    return SecretBox([derive_fernet_key(master.encode("utf-8"), "identity.totp-seeds")])


def totp_box(settings: Settings) -> SecretBox:
    """Encrypts TOTP seeds at rest, with a key of their own derived from the encryption key."""
    return _box(settings.resolved_encryption_key())


def backup_code_pepper(settings: Settings) -> bytes:
    """The HMAC key of backup-code digests; it lives outside the database, so a stolen table of ~40-bit
    codes cannot be brute-forced offline."""
    secret = settings.resolved_secret_key().encode("utf-8")
    return hmac.new(secret, b"identity.backup-codes", hashlib.sha256).digest()


def access_token_ttl(settings: Settings, surface: str) -> int:
    """Seconds an access token for `surface` lives (`NEXO_ACCESS_TOKEN_TTL_<SURFACE>`)."""
    ttl: int = getattr(settings, f"access_token_ttl_{surface}")
    return ttl
