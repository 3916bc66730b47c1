"""Connector credentials on the collections surface (§4.2–4.4).

    POST /collections/v1/connectors/link-code   a user with `conectores:write` → 201 {code, expiresAt}
    POST /collections/v1/connectors/register    public: the link code is the credential → 201
                                                {connectorId, tokens{…}, syncConfig{…}}
    POST /collections/v1/connectors/refresh     public: {refreshToken} + X-Connector-Id → new tokens
                                                (rotated; a replayed refresh token revokes the connector)
    POST /collections/v1/connectors/{id}/rotate `conectores:write` → 200 {connectorId, tokens{…}}: new
                                                tokens, shown once; every earlier token stops at once
    POST /collections/v1/connectors/{id}/revoke `conectores:write` → 200 {id, status, revokedAt}; the
                                                connector's tokens stop at once; idempotent

Connector calls then send `Authorization: Bearer <accessToken>` and `X-Connector-Id: <connectorId>`;
see `nexo.credentials.resolvers.ConnectorResolver`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Body, Depends, Header, Request
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.errors import Unauthorized
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import CamelStrictBody, CamelWireModel
from nexo.credentials import (
    connectors,
    resolvers,  # noqa: F401  (registers the machine-credential resolvers)
)
from nexo.credentials.connectors import ConnectorRegistration, ConnectorTokenReplayed, IssuedConnectorTokens
from nexo.credentials.permissions import MANAGE_CONNECTORS, require_tenant
from nexo.surfaces.base import surface_router

SURFACE = "collections"
ConnectorManager = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={MANAGE_CONNECTORS}, kinds={"user"}))
]

router = surface_router(prefix="/connectors", tags=["connectors"])
REGISTER_ROUTE = "connectors_register"


class LinkCodeBody(CamelStrictBody):
    empresa_id: str | None = Field(default=None, min_length=1, max_length=32)


class LinkCodeOut(CamelWireModel):
    code: str
    expires_at: datetime


class EmpresaIn(CamelStrictBody):
    id: str = Field(min_length=1, max_length=32)
    nombre: str = Field(min_length=1, max_length=200)
    base_datos: str | None = Field(default=None, max_length=200)


class RegisterBody(CamelStrictBody):
    link_code: str = Field(min_length=6, max_length=16)
    nombre: str = Field(min_length=1, max_length=100)
    machine_fingerprint: str = Field(min_length=1, max_length=256)
    version: str = Field(min_length=1, max_length=32)
    empresas: list[EmpresaIn] = Field(default_factory=list, max_length=100)


class RefreshBody(CamelStrictBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokensOut(CamelWireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class SyncEndpointsOut(CamelWireModel):
    sync: str
    heartbeat: str


class SyncConfigOut(CamelWireModel):
    interval_minutes: int
    endpoints: SyncEndpointsOut


class RegisteredOut(CamelWireModel):
    connector_id: uuid.UUID
    tokens: TokensOut
    sync_config: SyncConfigOut


class RefreshedOut(CamelWireModel):
    connector_id: uuid.UUID
    tokens: TokensOut


class RevokedOut(CamelWireModel):
    id: uuid.UUID
    status: str
    revoked_at: datetime | None


def _tokens(issued: IssuedConnectorTokens) -> TokensOut:
    return TokensOut(
        access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in
    )


@router.post("/link-code", status_code=201, response_model=LinkCodeOut)
async def create_link_code(
    session: SessionDep, user: ConnectorManager, body: Annotated[LinkCodeBody | None, Body()] = None
) -> LinkCodeOut:
    """A six-character code, valid 15 minutes and once, to type into a new connector. The optional
    `empresaId` records which ERP company the connector is linked for."""
    require_tenant(user)
    issued = await connectors.create_link_code(
        session, actor=user, empresa_id=body.empresa_id if body is not None else None
    )
    return LinkCodeOut(code=issued.code, expires_at=issued.expires_at)


@router.post("/register", status_code=201, response_model=RegisteredOut, name=REGISTER_ROUTE)
async def register(
    body: RegisterBody, request: Request, session: SessionDep, runtime: RuntimeDep
) -> RegisteredOut:
    registration = ConnectorRegistration(
        link_code=body.link_code,
        name=body.nombre,
        machine_fingerprint=body.machine_fingerprint,
        version=body.version,
        empresas=[empresa.model_dump(by_alias=True, exclude_none=True) for empresa in body.empresas],
    )
    issued = await connectors.register_connector(session, runtime.settings, registration)
    # The surface base URL as this client reached it (path mount or a host of its own).
    base = str(request.url_for(REGISTER_ROUTE)).removesuffix("/connectors/register")
    return RegisteredOut(
        connector_id=issued.connector.id,
        tokens=_tokens(issued),
        sync_config=SyncConfigOut(
            interval_minutes=runtime.settings.connector_sync_interval_minutes,
            endpoints=SyncEndpointsOut(sync=f"{base}/sync", heartbeat=f"{base}/connectors/heartbeat"),
        ),
    )


@router.post("/refresh", response_model=RefreshedOut)
async def refresh(
    body: RefreshBody,
    session: SessionDep,
    runtime: RuntimeDep,
    x_connector_id: Annotated[str | None, Header(max_length=64)] = None,
) -> RefreshedOut:
    """Rotate the connector's tokens. The old refresh token stops working; presenting it again later
    is taken as theft and revokes the connector, which must then be linked again."""
    connector_id = _connector_id(x_connector_id)
    try:
        issued = await connectors.refresh_connector_tokens(
            session, runtime.settings, connector_id=connector_id, refresh_token=body.refresh_token
        )
    except ConnectorTokenReplayed as replay:
        await session.rollback()
        await connectors.settle_replay(runtime.database, replay)
        raise
    return RefreshedOut(connector_id=issued.connector.id, tokens=_tokens(issued))


@router.post("/{connector_id}/rotate", response_model=RefreshedOut)
async def rotate(
    connector_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, user: ConnectorManager
) -> RefreshedOut:
    """New credentials for the connector (a suspected leak, a reinstalled machine): the answer is
    the only place the new tokens appear; every access and refresh token issued before stops
    working at once. Type them into the connector (or re-link it). A revoked connector cannot be
    rotated (400 `CONNECTOR_REVOKED`): link a new one."""
    require_tenant(user)
    issued = await connectors.rotate_connector_credentials(
        session, runtime.settings, actor=user, connector_id=connector_id
    )
    return RefreshedOut(connector_id=issued.connector.id, tokens=_tokens(issued))


@router.post("/{connector_id}/revoke", response_model=RevokedOut)
async def revoke(connector_id: uuid.UUID, session: SessionDep, user: ConnectorManager) -> RevokedOut:
    """Revoke the connector: its tokens stop working at once (its heartbeats and syncs get 401),
    the data it synced stays, and the list shows it as `revoked`. Revoking again changes nothing."""
    require_tenant(user)
    connector = await connectors.revoke_connector(session, actor=user, connector_id=connector_id)
    return RevokedOut(id=connector.id, status=connector.status, revoked_at=connector.revoked_at)


def _connector_id(header: str | None) -> uuid.UUID:
    try:
        return uuid.UUID((header or "").strip())
    except ValueError:
        raise Unauthorized(
            "Send the connector's id in the X-Connector-Id header.", code="INVALID_TOKEN"
        ) from None
