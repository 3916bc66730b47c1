"""Connector credentials (collections §4.2–4.4): link codes, registration, token refresh with
rotation, and revocation.

A person creates a six-character link code (15 minutes, single use) and types it into the
on-premise connector, which registers itself with it and receives a connector id and tokens. The
access token is a JWT bound to the connector's current credential generation (`sid`); the refresh
token is opaque and stored hashed. Refreshing rotates both; presenting a refresh token that was
already rotated away means it leaked, and the connector is revoked (it must be linked again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import Changes, record_audit, record_audit_detached
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import BadRequest, ErrorDetail, NotFound, Unauthorized
from nexo.core.security.opaque import (
    hash_secret,
    new_link_code,
    new_secret,
    normalize_link_code,
    secrets_equal,
)
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.credentials.models import Connector, ConnectorLinkCode
from nexo.credentials.single_use import claim
from nexo.credentials.tokens import CONNECTOR_TOKEN, TYPE_CLAIM, machine_codec

CONNECTOR_AUDIENCE = "collections"
LINK_CODE_TTL = timedelta(minutes=15)
REVOKED = "revoked"
ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class IssuedLinkCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectorRegistration:
    link_code: str
    name: str
    machine_fingerprint: str
    version: str
    empresas: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class IssuedConnectorTokens:
    """Shown once to the connector; only the refresh token's hash is kept."""

    connector: Connector
    access_token: str
    refresh_token: str
    expires_in: int


class ConnectorTokenReplayed(Unauthorized):
    """A rotated-away refresh token came back: the caller must revoke the connector (`settle_replay`)
    after rolling the request back, because the request itself fails."""

    def __init__(self, connector_id: uuid.UUID) -> None:
        super().__init__(
            "The refresh token was already used; the connector has been revoked.", code="INVALID_TOKEN"
        )
        self.connector_id = connector_id


async def create_link_code(
    session: AsyncSession, *, actor: Principal, empresa_id: str | None = None
) -> IssuedLinkCode:
    code = new_link_code()
    link = ConnectorLinkCode(
        code_hash=hash_secret(code),
        empresa_id=empresa_id,
        created_by=actor.id,
        expires_at=utcnow() + LINK_CODE_TTL,
    )
    session.add(link)
    await session.flush()
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="connector.link_code_created",
        entity_type="connector_link_code",
        entity_id=link.id,
        changes={"empresa_id": {"from": None, "to": empresa_id}},
    )
    return IssuedLinkCode(code=code, expires_at=link.expires_at)


def _invalid_link_code() -> BadRequest:
    return BadRequest(
        "The link code is invalid, expired or already used; create a new one.",
        code="INVALID_LINK_CODE",
        details=[ErrorDetail("linkCode", "invalid, expired or already used")],
    )


async def register_connector(
    session: AsyncSession, settings: Settings, registration: ConnectorRegistration
) -> IssuedConnectorTokens:
    """Spend the link code and create the connector in the code's tenant (public: the code is the
    credential)."""
    code = normalize_link_code(registration.link_code)
    if code is None:
        raise _invalid_link_code()
    allow_all_tenants(session, reason="connector registration finds its tenant through the link code")
    now = utcnow()
    link = await session.scalar(
        select(ConnectorLinkCode).where(
            ConnectorLinkCode.code_hash == hash_secret(code),
            ConnectorLinkCode.used_at.is_(None),
            ConnectorLinkCode.expires_at > now,
        )
    )
    if link is None:
        raise _invalid_link_code()
    connector_id = uuid.uuid4()
    claimed = await claim(
        session,
        update(ConnectorLinkCode)
        .where(ConnectorLinkCode.id == link.id, ConnectorLinkCode.used_at.is_(None))
        .values(used_at=now, connector_id=connector_id),
    )
    if not claimed:
        raise _invalid_link_code()
    scope_to_tenant(session, link.tenant_id)
    refresh = new_secret("nx_crt")
    connector = Connector(
        id=connector_id,
        name=registration.name,
        empresa_id=link.empresa_id,
        empresas=registration.empresas,
        machine_fingerprint=registration.machine_fingerprint,
        version=registration.version,
        status=ACTIVE,
        credential_id=uuid.uuid4().hex,
        refresh_token_hash=hash_secret(refresh),
        refresh_expires_at=now + timedelta(seconds=settings.connector_refresh_token_ttl_seconds),
        created_by=link.created_by,
    )
    session.add(connector)
    await session.flush()
    _audit(session, connector, "connector.registered", actor=("connector", str(connector.id)))
    return _issued(settings, connector, refresh)


def _audit(
    session: AsyncSession,
    connector: Connector,
    action: str,
    *,
    actor: tuple[str, str],
    changes: Changes | None = None,
) -> None:
    record_audit(
        session,
        actor_type=actor[0],
        actor_id=actor[1],
        action=action,
        entity_type="connector",
        entity_id=str(connector.id),
        changes=changes,
    )


def _issued(settings: Settings, connector: Connector, refresh: str) -> IssuedConnectorTokens:
    ttl = settings.connector_access_token_ttl_seconds
    access = machine_codec(settings).encode(
        subject=str(connector.id),
        tenant_id=connector.tenant_id,
        audience=CONNECTOR_AUDIENCE,
        ttl_seconds=ttl,
        session_id=connector.credential_id,
        extra={TYPE_CLAIM: CONNECTOR_TOKEN},
    )
    return IssuedConnectorTokens(
        connector=connector, access_token=access, refresh_token=refresh, expires_in=ttl
    )


async def refresh_connector_tokens(
    session: AsyncSession, settings: Settings, *, connector_id: uuid.UUID, refresh_token: str
) -> IssuedConnectorTokens:
    """Rotate the connector's tokens with its current refresh token."""
    invalid = Unauthorized("The refresh token is invalid, expired or revoked.", code="INVALID_TOKEN")
    allow_all_tenants(session, reason="connector token refresh before the tenant is known")
    connector = await session.get(Connector, connector_id)
    if connector is None or connector.status != ACTIVE:
        raise invalid
    presented = hash_secret(refresh_token)
    if presented == connector.previous_refresh_token_hash:
        raise ConnectorTokenReplayed(connector.id)
    if not secrets_equal(presented, connector.refresh_token_hash) or connector.refresh_expires_at <= utcnow():
        raise invalid
    scope_to_tenant(session, connector.tenant_id)
    refresh = new_secret("nx_crt")
    claimed = await claim(
        session,
        update(Connector)
        .where(Connector.id == connector.id, Connector.refresh_token_hash == presented)
        .values(
            refresh_token_hash=hash_secret(refresh),
            previous_refresh_token_hash=presented,
            credential_id=uuid.uuid4().hex,
            refresh_expires_at=utcnow() + timedelta(seconds=settings.connector_refresh_token_ttl_seconds),
        ),
    )
    if not claimed:
        raise ConnectorTokenReplayed(connector.id)
    await session.refresh(connector)
    _audit(session, connector, "connector.tokens_refreshed", actor=("connector", str(connector.id)))
    return _issued(settings, connector, refresh)


async def rotate_connector_credentials(
    session: AsyncSession, settings: Settings, *, actor: Principal, connector_id: uuid.UUID
) -> IssuedConnectorTokens:
    """New tokens for a connector of the session's tenant, chosen by a person (a suspected leak):
    every token issued before stops working at once."""
    connector = await _active_connector(session, connector_id)
    refresh = new_secret("nx_crt")
    connector.previous_refresh_token_hash = None
    connector.refresh_token_hash = hash_secret(refresh)
    connector.credential_id = uuid.uuid4().hex
    connector.refresh_expires_at = utcnow() + timedelta(seconds=settings.connector_refresh_token_ttl_seconds)
    await session.flush()
    _audit(session, connector, "connector.tokens_rotated", actor=actor.audit_actor())
    return _issued(settings, connector, refresh)


async def revoke_connector(session: AsyncSession, *, actor: Principal, connector_id: uuid.UUID) -> Connector:
    """Revoke a connector of the session's tenant; its tokens stop working immediately."""
    connector = await session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("No connector with this id.")
    if connector.status != REVOKED:
        _mark_revoked(connector)
        await session.flush()
        revoked: Changes = {"status": {"from": ACTIVE, "to": REVOKED}}
        _audit(session, connector, "connector.revoked", actor=actor.audit_actor(), changes=revoked)
    return connector


async def _active_connector(session: AsyncSession, connector_id: uuid.UUID) -> Connector:
    connector = await session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("No connector with this id.")
    if connector.status != ACTIVE:
        raise BadRequest("The connector is revoked; link a new one.", code="CONNECTOR_REVOKED")
    return connector


def _mark_revoked(connector: Connector) -> None:
    connector.status = REVOKED
    connector.revoked_at = utcnow()
    connector.credential_id = uuid.uuid4().hex


async def settle_replay(database: Database, error: ConnectorTokenReplayed) -> None:
    """Revoke a connector whose refresh token was replayed, in a transaction of its own."""
    async with database.transaction() as session:
        allow_all_tenants(session, reason="revoking a connector whose refresh token was replayed")
        connector = await session.get(Connector, error.connector_id)
        if connector is None or connector.status == REVOKED:
            return
        _mark_revoked(connector)
        tenant_id = connector.tenant_id
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="system",
        actor_id=None,
        action="connector.revoked",
        entity_type="connector",
        entity_id=str(error.connector_id),
        changes={"reason": {"from": None, "to": "refresh token replayed"}},
        success=True,
    )
