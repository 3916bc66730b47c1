"""Access tokens of machine principals: OAuth clients and connectors.

They are JWTs made by the core `AccessTokenCodec`, with two differences from user tokens:

- a `typ` claim (`"client"` or `"connector"`) that resolvers read, before verifying, to decide whose
  token it is; the user-token resolver must refuse tokens that carry one;
- a signing key of their own, derived from the instance secret, so that even a resolver that forgot
  the `typ` rule could never verify a machine token as a user token (it fails closed, with a 401).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import jwt

from nexo.core.security.jwt_tokens import AccessTokenCodec
from nexo.core.settings import Settings

TYPE_CLAIM = "typ"
CLIENT_TOKEN = "client"  # noqa: S105 - token type names, not secrets
CONNECTOR_TOKEN = "connector"  # noqa: S105
MACHINE_TOKEN_TYPES = frozenset({CLIENT_TOKEN, CONNECTOR_TOKEN})
ISSUER = "nexo"
_KEY_PURPOSE = b"nexo.credentials.machine-access-tokens.v1"


@lru_cache(maxsize=4)
def _codec_for(secret: str) -> AccessTokenCodec:
    key = hmac.new(secret.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()
    return AccessTokenCodec(key, ISSUER)


def machine_codec(settings: Settings) -> AccessTokenCodec:
    return _codec_for(settings.resolved_secret_key())


def unverified_token_type(credential: str) -> str | None:
    """The `typ` claim of a JWT-shaped credential, read WITHOUT verifying it: only for routing a
    credential to its resolver, which then verifies everything. `None` for anything else."""
    if credential.count(".") != 2:
        return None
    try:
        payload = jwt.decode(credential, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    kind = payload.get(TYPE_CLAIM)
    return kind if isinstance(kind, str) else None
