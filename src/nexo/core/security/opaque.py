"""Opaque secrets: refresh tokens, API keys, connector tokens, invitation tokens, link codes.

These are random strings with no meaning inside; the server keeps only their SHA-256 and finds the row
by that hash (or, for API keys, by a short public lookup prefix). Prefixes such as `nx_rt_` make a
leaked secret recognisable to people and to secret scanners.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

MIN_SECRET_BYTES = 16
API_KEY_PREFIX = "nexo"
LOOKUP_PREFIX_LENGTH = 8
# Lowercase letters and digits only, so the lookup part never contains the `_` separator.
_LOOKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# No 0/O or 1/I: link codes are read off one screen and typed into another.
LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LINK_CODE_LENGTH = 6

_PREFIX = re.compile(r"[a-z][a-z0-9_]*[a-z0-9]")
_ENVIRONMENT = re.compile(r"[a-z]{2,16}")
_API_KEY = re.compile(
    rf"{API_KEY_PREFIX}_(?P<env>[a-z]{{2,16}})_(?P<lookup>[a-z0-9]{{{LOOKUP_PREFIX_LENGTH}}})"
    r"_(?P<secret>[A-Za-z0-9_-]{32,128})"
)
_LINK_CODE = re.compile(rf"[{LINK_CODE_ALPHABET}]{{{LINK_CODE_LENGTH}}}")


def new_secret(prefix: str, nbytes: int = 32) -> str:
    """Return `<prefix>_<base64url of nbytes random bytes>`, e.g. `nx_rt_…` for a refresh token."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError("prefix must be lowercase letters, digits and inner underscores, like 'nx_rt'")
    if nbytes < MIN_SECRET_BYTES:
        raise ValueError(f"a secret needs at least {MIN_SECRET_BYTES} random bytes")
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest of a secret, for storage and lookup.

    A fast, unsalted hash is the right tool here and would be wrong for passwords: these secrets carry
    at least 128 random bits, so brute force is hopeless however fast the hash, and being deterministic
    lets the database find the row by an indexed equality on the digest.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secrets_equal(a: str, b: str) -> bool:
    """Compare two secrets (or their digests) in time independent of where they first differ."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class ApiKeyMaterial:
    """A new API key: show `full` once to its owner, store `lookup_prefix` and `hash`."""

    full: str
    lookup_prefix: str
    hash: str


def new_api_key(environment: str = "live") -> ApiKeyMaterial:
    """Create `nexo_<environment>_<lookup>_<secret>`.

    The lookup prefix is public and indexed, so a request finds its candidate row without scanning;
    the full key is then checked against the stored hash.
    """
    if not _ENVIRONMENT.fullmatch(environment):
        raise ValueError("environment must be 2-16 lowercase letters, like 'live' or 'test'")
    lookup = "".join(secrets.choice(_LOOKUP_ALPHABET) for _ in range(LOOKUP_PREFIX_LENGTH))
    full = f"{API_KEY_PREFIX}_{environment}_{lookup}_{secrets.token_urlsafe(32)}"
    return ApiKeyMaterial(full=full, lookup_prefix=lookup, hash=hash_secret(full))


def parse_api_key(key: str) -> tuple[str, str] | None:
    """Return `(lookup_prefix, full_key)` for a well-formed API key, `None` for anything else.

    Rejecting malformed input here means a typo or a token of another kind never reaches the database.
    """
    candidate = key.strip()
    match = _API_KEY.fullmatch(candidate)
    if match is None:
        return None
    return match["lookup"], candidate


def new_link_code() -> str:
    """Six characters a person can copy by hand, used once within minutes to pair an on-prem connector."""
    return "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH))


def normalize_link_code(raw: str) -> str | None:
    """Accept what people type (lowercase, spaces, a dash in the middle); `None` if it cannot be a code."""
    code = re.sub(r"[\s-]", "", raw).upper()
    return code if _LINK_CODE.fullmatch(code) else None
