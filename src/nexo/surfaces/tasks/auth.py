"""Tasks surface OAuth 2.0 ("Configuración de la Conexión" in the tasks spec).

    POST /tasks/v1/auth/register    a signed-in user with `oauth_clients.manage` registers a client:
                                    {client_name, redirect_uri, scopes} → 201 with client_secret (once)
    GET  /tasks/v1/auth/authorize   the user approves (their Bearer token is the approval) and is sent
                                    302 to redirect_uri?code=…&state=…; PKCE S256 is required
    POST /tasks/v1/auth/token       authorization_code (+ code_verifier), refresh_token (rotated),
                                    client_credentials; RFC 6749 §5 shapes

Scopes are `tasks:read` and `tasks:write`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.errors import OrjsonResponse
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.credentials import resolvers  # noqa: F401  (registers the machine-credential resolvers)
from nexo.credentials.oauth import clients
from nexo.credentials.oauth.authorize import AuthorizationRequest, RedirectableError, authorize
from nexo.credentials.oauth.errors import OAuthError
from nexo.credentials.oauth.http import (
    NO_STORE,
    TOKEN_OPENAPI,
    TOKEN_RESPONSES,
    token_endpoint,
)
from nexo.credentials.permissions import MANAGE_OAUTH_CLIENTS, require_tenant
from nexo.credentials.scopes import TASKS_SCOPES
from nexo.surfaces.base import surface_router

SURFACE = "tasks"
ClientRegistrar = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={MANAGE_OAUTH_CLIENTS}, kinds={"user"}))
]
ApprovingUser = Annotated[Principal, Depends(Authenticated(surface=SURFACE, kinds={"user"}))]

router = surface_router(prefix="/auth", tags=["auth"])

OptionalParam = Annotated[str | None, Query(max_length=2000)]


class RegisterClientBody(StrictBody):
    client_name: str = Field(min_length=1, max_length=100)
    redirect_uri: str = Field(min_length=1, max_length=2000)
    scopes: list[str] = Field(
        min_length=1, max_length=len(TASKS_SCOPES), description="tasks:read, tasks:write"
    )


class RegisteredClientOut(WireModel):
    client_id: str
    client_secret: str = Field(description="Shown only in this response; store it now.")
    client_name: str
    redirect_uri: str
    scopes: list[str]
    grant_types: list[str]
    created_at: datetime


@router.post("/register", status_code=201, response_model=RegisteredClientOut)
async def register(
    body: RegisterClientBody, session: SessionDep, user: ClientRegistrar
) -> RegisteredClientOut:
    require_tenant(user)
    issued = await clients.register_client(
        session,
        actor=user,
        surface=SURFACE,
        name=body.client_name,
        scopes=body.scopes,
        redirect_uris=[body.redirect_uri],
    )
    client = issued.client
    return RegisteredClientOut(
        client_id=client.client_id,
        client_secret=issued.secret,
        client_name=client.name,
        redirect_uri=client.redirect_uris[0],
        scopes=client.allowed_scopes,
        grant_types=client.grant_types,
        created_at=client.created_at,
    )


@router.get(
    "/authorize",
    status_code=302,
    response_class=Response,
    responses={
        302: {"description": "To redirect_uri with `code` and `state` (or `error` and `state`)."},
        400: {"description": "RFC 6749 error: unknown client_id or unregistered redirect_uri."},
    },
)
async def authorize_client(
    runtime: RuntimeDep,
    user: ApprovingUser,
    response_type: OptionalParam = None,
    client_id: OptionalParam = None,
    redirect_uri: OptionalParam = None,
    scope: OptionalParam = None,
    state: OptionalParam = None,
    code_challenge: OptionalParam = None,
    code_challenge_method: OptionalParam = None,
) -> Response:
    """The user's Bearer token is their approval. A GET's session is read-only (SQLite), so the code
    is written in a transaction of its own, scoped to the user's tenant: clients of other tenants
    are not found."""
    tenant_id = require_tenant(user)
    request = AuthorizationRequest(
        response_type=response_type,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
    )
    try:
        async with runtime.database.transaction(tenant_id=tenant_id) as session:
            location = await authorize(session, user=user, request=request, surface=SURFACE)
    except RedirectableError as error:
        return RedirectResponse(error.location, status_code=302, headers=NO_STORE)
    except OAuthError as error:
        # Shown to the caller, never redirected (§4.1.2.1); 400 even for an unknown client, since
        # nobody tried to authenticate as it here.
        return OrjsonResponse(error.body(), status_code=400, headers=NO_STORE)
    return RedirectResponse(location, status_code=302, headers=NO_STORE)


@router.post("/token", openapi_extra=TOKEN_OPENAPI, responses=TOKEN_RESPONSES, summary="OAuth 2.0 token")
async def token(request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    return await token_endpoint(request, session, runtime, surface=SURFACE)
