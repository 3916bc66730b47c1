"""Media OAuth 2.0: the client-credentials token endpoint and the management of clients.

    POST   /media/oauth/token                 RFC 6749 §4.4, outside /v2 as the spec's
                                              `https://api.pautapro.com/oauth/token`
    POST   /media/v2/oauth/clients            {name, scopes} → 201 with client_secret (shown once)
    GET    /media/v2/oauth/clients
    DELETE /media/v2/oauth/clients/{client_id}

The token endpoint answers in RFC 6749 §5.1/§5.2 shapes, not the Nexo envelope; see
`nexo.credentials.oauth.http`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.credentials import resolvers  # noqa: F401  (registers the machine-credential resolvers)
from nexo.credentials.models import OAuthClient
from nexo.credentials.oauth import clients
from nexo.credentials.oauth.http import TOKEN_OPENAPI, TOKEN_RESPONSES, token_endpoint
from nexo.credentials.permissions import MANAGE_API_KEYS, require_tenant
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.surfaces.base import surface_router

SURFACE = "media"
ClientManager = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={MANAGE_API_KEYS}, kinds={"user"}))
]

token_router = surface_router(at_root=True, prefix="/oauth", tags=["oauth"])
clients_router = surface_router(prefix="/oauth/clients", tags=["oauth"])


@token_router.post(
    "/token",
    openapi_extra=TOKEN_OPENAPI,
    responses=TOKEN_RESPONSES,
    summary="OAuth 2.0 token (client credentials)",
)
async def token(request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """`grant_type=client_credentials` with `client_id`/`client_secret` (body or HTTP Basic) and an
    optional space-separated `scope`, as JSON or form-encoded."""
    return await token_endpoint(request, session, runtime, surface=SURFACE)


class CreateClientBody(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        min_length=1, max_length=len(MEDIA_SCOPES), description=f"Any of: {', '.join(MEDIA_SCOPES)}."
    )


class ClientOut(WireModel):
    client_id: str
    name: str
    scopes: list[str] = Field(validation_alias="allowed_scopes")
    grant_types: list[str]
    created_at: datetime
    revoked_at: datetime | None


class CreatedClientOut(ClientOut):
    client_secret: str = Field(description="Shown only in this response; store it now.")


class ClientList(WireModel):
    data: list[ClientOut]


def _out(client: OAuthClient) -> ClientOut:
    return ClientOut.model_validate(client)


@clients_router.post("", status_code=201, response_model=CreatedClientOut)
async def create_client(body: CreateClientBody, session: SessionDep, user: ClientManager) -> CreatedClientOut:
    require_tenant(user)
    issued = await clients.register_client(
        session, actor=user, surface=SURFACE, name=body.name, scopes=body.scopes
    )
    return CreatedClientOut(
        client_id=issued.client.client_id,
        name=issued.client.name,
        allowed_scopes=issued.client.allowed_scopes,
        grant_types=issued.client.grant_types,
        created_at=issued.client.created_at,
        revoked_at=None,
        client_secret=issued.secret,
    )


@clients_router.get("", response_model=ClientList)
async def list_clients(session: SessionDep, user: ClientManager) -> ClientList:
    require_tenant(user)
    return ClientList(data=[_out(client) for client in await clients.list_clients(session, surface=SURFACE)])


@clients_router.delete("/{client_id}", status_code=204, response_class=Response)
async def revoke_client(
    client_id: Annotated[str, Path(max_length=64)], session: SessionDep, user: ClientManager
) -> Response:
    require_tenant(user)
    await clients.revoke_client(session, actor=user, surface=SURFACE, client_id=client_id)
    return Response(status_code=204)
