"""Short-lived access tokens: HS256 JWTs signed with the instance secret.

Access tokens are stateless so that every request does not need a database round trip; they are kept
short-lived because they cannot be revoked, and carry the session id (`sid`) so a logout or a refresh
rotation can be enforced by whoever chooses to check the session. Only HS256 is ever accepted: the
algorithm list is fixed here, never read from the token, which closes the `alg: none` and algorithm
confusion attacks.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import jwt

ALGORITHM = "HS256"
LEEWAY_SECONDS = 10
MIN_SECRET_BYTES = 32
# Claims this module owns; everything else in a token is reported in `AccessClaims.extra`.
RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "tid", "sid"})
_REQUIRED = ["exp", "iat", "sub", "aud", "iss", "jti", "sid"]


class InvalidToken(Exception):
    """The token cannot be trusted; `reason` is a short machine-readable word for logs and tests.

    Callers should answer every reason with the same 401: telling a client *why* a token failed helps
    attackers more than it helps legitimate clients.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The verified content of an access token."""

    sub: str
    tenant_id: int | None
    aud: str
    sid: str
    iat: int
    exp: int
    jti: str
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


# Most specific first: several of these subclass one another (e.g. InvalidSignatureError < DecodeError).
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.InvalidAlgorithmError, "wrong_algorithm"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.DecodeError, "malformed"),
)


def _reason_for(error: jwt.PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "invalid"


class AccessTokenCodec:
    """Issues and verifies access tokens for one issuer with one signing secret."""

    def __init__(self, secret: bytes, issuer: str) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            # RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
            raise ValueError(f"JWT signing secret must be at least {MIN_SECRET_BYTES} bytes")
        if not issuer:
            raise ValueError("issuer must not be empty")
        self._secret = secret
        self._issuer = issuer

    def encode(
        self,
        *,
        subject: str,
        tenant_id: int | None,
        audience: str,
        ttl_seconds: int,
        session_id: str,
        extra: Mapping[str, object] | None = None,
        now: int | None = None,
    ) -> str:
        """Sign a token valid for `ttl_seconds` from `now` (default: the current time).

        `extra` adds claims of the caller's own (permissions, roles…) but may not override the claims
        this module validates; `now` exists so tests and re-issuers can pin the issue time.
        """
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        clashes = RESERVED_CLAIMS.intersection(extra or {})
        if clashes:
            raise ValueError(f"extra claims may not override reserved claims: {sorted(clashes)}")
        issued_at = int(time.time()) if now is None else now
        payload: dict[str, Any] = {
            **(extra or {}),
            "iss": self._issuer,
            "sub": subject,
            "aud": audience,
            "tid": tenant_id,
            "sid": session_id,
            "iat": issued_at,
            "exp": issued_at + ttl_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, *, audience: str) -> AccessClaims:
        """Verify signature, algorithm, issuer, audience and lifetime; raise `InvalidToken` otherwise."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED, "strict_aud": True},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(_reason_for(error)) from error
        return _claims_from(payload)


def _claims_from(payload: Mapping[str, Any]) -> AccessClaims:
    """Build claims, refusing well-signed tokens whose claim types we never issue."""
    tenant_id = payload.get("tid")
    if tenant_id is not None and (isinstance(tenant_id, bool) or not isinstance(tenant_id, int)):
        raise InvalidToken("malformed")
    strings = [payload[name] for name in ("sub", "aud", "sid", "jti")]
    numbers = [payload[name] for name in ("iat", "exp")]
    if not all(isinstance(value, str) for value in strings):
        raise InvalidToken("malformed")
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in numbers):
        raise InvalidToken("malformed")
    extra = {key: value for key, value in payload.items() if key not in RESERVED_CLAIMS}
    return AccessClaims(
        sub=payload["sub"],
        tenant_id=tenant_id,
        aud=payload["aud"],
        sid=payload["sid"],
        iat=payload["iat"],
        exp=payload["exp"],
        jti=payload["jti"],
        extra=MappingProxyType(extra),
    )
