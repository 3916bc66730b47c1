"""PKCE (RFC 7636) with the S256 method only: `plain` would hand the verifier to anyone who sees the
authorization request, which is exactly what PKCE exists to prevent."""

from __future__ import annotations

import base64
import hashlib
import re

from nexo.core.security.opaque import secrets_equal

S256 = "S256"
# §4.1 verifier: 43-128 unreserved characters; a S256 challenge is the 43-character base64url digest.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def is_valid_challenge(challenge: str) -> bool:
    return _CHALLENGE.fullmatch(challenge) is not None


def is_valid_verifier(verifier: str) -> bool:
    return _VERIFIER.fullmatch(verifier) is not None


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def verifier_matches(verifier: str, challenge: str) -> bool:
    return is_valid_verifier(verifier) and secrets_equal(s256_challenge(verifier), challenge)
