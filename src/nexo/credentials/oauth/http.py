"""The token endpoint's wire format, shared by the media and tasks surfaces (RFC 6749 §3.2, §5).

It lives here rather than in one surface because both speak the same RFC: parameters as
`application/x-www-form-urlencoded` (the RFC) or JSON (the media spec's example), client
authentication by HTTP Basic (§2.3.1) or body parameters, and errors as `{"error",
"error_description"}` (§5.2) instead of the Nexo envelope.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.errors import OrjsonResponse
from nexo.core.runtime import Runtime
from nexo.credentials.oauth.clients import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    GRANT_TYPES_BY_SURFACE,
    REFRESH_TOKEN,
    authenticate_client,
)
from nexo.credentials.oauth.errors import (
    INVALID_CLIENT,
    INVALID_REQUEST,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
    settle,
)
from nexo.credentials.oauth.grants import (
    IssuedTokens,
    exchange_authorization_code,
    grant_client_credentials,
    refresh_tokens,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
MAX_PARAM_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class TokenRequest:
    params: dict[str, str]
    basic: tuple[str, str] | None  # (client_id, client_secret) from an Authorization: Basic header

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            raise OAuthError(INVALID_REQUEST, f"Missing parameter: {name}.")
        return value


def _invalid(description: str) -> OAuthError:
    return OAuthError(INVALID_REQUEST, description)


async def read_token_request(request: Request) -> TokenRequest:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type == FORM:
        params = _form_params(body)
    elif media_type == "application/json" or media_type.endswith("+json"):
        params = _json_params(body)
    else:
        raise _invalid("Send the parameters as application/x-www-form-urlencoded or application/json.")
    if any(len(value) > MAX_PARAM_LENGTH for value in params.values()):
        raise _invalid("A parameter is too long.")
    return TokenRequest(params=params, basic=_basic_credentials(request))


def _form_params(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as error:
        raise _invalid("The form body is not valid UTF-8 form encoding.") from error
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:  # §3.2: parameters MUST NOT be included more than once
            raise _invalid(f"Parameter sent more than once: {key}.")
        params[key] = value
    return params


def _json_params(body: bytes) -> dict[str, str]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _invalid("The body is not valid JSON.") from error
    if not isinstance(data, dict):
        raise _invalid("The JSON body must be an object.")
    params: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise _invalid(f"Parameter {key} must be a string (scopes are space-separated).")
        params[key] = value
    return params


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise OAuthError(INVALID_CLIENT, "Malformed HTTP Basic credentials.") from error
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise OAuthError(INVALID_CLIENT, "Malformed HTTP Basic credentials.")
    # §2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(client_id), unquote_plus(secret)


def client_credentials_of(token_request: TokenRequest) -> tuple[str, str]:
    in_body = "client_secret" in token_request.params
    if token_request.basic is not None:
        if in_body:  # §2.3: the client MUST NOT use more than one authentication method
            raise _invalid("Authenticate with HTTP Basic or with body parameters, not both.")
        return token_request.basic
    client_id = token_request.params.get("client_id")
    secret = token_request.params.get("client_secret")
    if not client_id or not secret:
        raise OAuthError(INVALID_CLIENT, "Client authentication is required (client_id and client_secret).")
    return client_id, secret


async def issue_tokens(
    session: AsyncSession, runtime: Runtime, token_request: TokenRequest, *, surface: str
) -> IssuedTokens:
    grant_type = token_request.require("grant_type")
    if grant_type not in GRANT_TYPES_BY_SURFACE[surface]:
        raise OAuthError(
            UNSUPPORTED_GRANT_TYPE, f"Supported grant types: {', '.join(GRANT_TYPES_BY_SURFACE[surface])}."
        )
    client_id, secret = client_credentials_of(token_request)
    body_client_id = token_request.params.get("client_id")
    if body_client_id and body_client_id != client_id:
        raise _invalid("client_id does not match the authenticated client.")
    client = await authenticate_client(session, client_id=client_id, client_secret=secret, surface=surface)
    settings = runtime.settings
    scope = token_request.params.get("scope")
    if grant_type == CLIENT_CREDENTIALS:
        return await grant_client_credentials(session, settings, client=client, scope=scope)
    if grant_type == AUTHORIZATION_CODE:
        return await exchange_authorization_code(
            session,
            settings,
            client=client,
            code=token_request.require("code"),
            redirect_uri=token_request.require("redirect_uri"),
            code_verifier=token_request.require("code_verifier"),
        )
    assert grant_type == REFRESH_TOKEN
    refresh = token_request.require("refresh_token")
    return await refresh_tokens(session, settings, client=client, refresh_token=refresh, scope=scope)


def oauth_error_response(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="nexo", charset="UTF-8"'
    return OrjsonResponse(error.body(), status_code=error.status_code, headers=headers)


async def token_endpoint(
    request: Request, session: AsyncSession, runtime: Runtime, *, surface: str
) -> JSONResponse:
    """Run one token request end to end. On failure the request's transaction is rolled back first,
    then the failure's lasting effects (audit, revocation of a replayed grant) are written apart."""
    try:
        token_request = await read_token_request(request)
        issued = await issue_tokens(session, runtime, token_request, surface=surface)
    except OAuthError as error:
        await session.rollback()
        await settle(runtime.database, error)
        return oauth_error_response(error)
    return OrjsonResponse(issued.body(), headers=NO_STORE)


def _schema(required: list[str]) -> dict[str, Any]:
    names = [
        "grant_type",
        "client_id",
        "client_secret",
        "scope",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
    ]
    return {
        "type": "object",
        "required": required,
        "properties": {name: {"type": "string"} for name in names},
    }


TOKEN_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": _schema(["grant_type"])},
            "application/json": {"schema": _schema(["grant_type"])},
        },
    }
}
TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "RFC 6749 §5.2 error: invalid_request, invalid_grant, invalid_scope, ..."},
    401: {"description": "RFC 6749 §5.2 error: invalid_client"},
}
