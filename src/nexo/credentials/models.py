"""Stored machine credentials. Every secret is kept as its SHA-256 only (see `core.security.opaque`);
the plain value exists in one response, at creation.

`created_by` and `user_id` hold the acting principal's id as text, without a foreign key: user ids
belong to the identity package and their type is its choice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned

ID_LENGTH = 64
HASH_LENGTH = 64  # SHA-256 hex


class ApiKey(TenantOwned, Timestamped, Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    lookup_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuthClient(TenantOwned, Timestamped, Base):
    """A registered OAuth 2.0 client of one surface (media or tasks)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    surface: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuthGrant(TenantOwned, Base):
    """What a user approved for a client. Access and refresh tokens issued from it die with it, so
    revoking the grant (reuse of its code or of a rotated refresh token) revokes all of them."""

    __tablename__ = "oauth_grants"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OAuthAuthorizationCode(TenantOwned, Base):
    """A single-use code, bound to its client, redirect URI and PKCE challenge."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    grant_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))  # set when exchanged


class OAuthRefreshToken(TenantOwned, Base):
    """One link of a grant's refresh-token chain; `used_at` marks a token already rotated away."""

    __tablename__ = "oauth_refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Connector(TenantOwned, Timestamped, Base):
    """An on-premise connector's identity and credentials. Heartbeats and sync state belong to the
    receivables domain, which may extend this table.

    `credential_id` names the current token generation: access tokens carry it, so rotating or
    revoking changes it and every older token stops working at once."""

    __tablename__ = "connectors"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    empresa_id: Mapped[str | None] = mapped_column(String(32))
    empresas: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    machine_fingerprint: Mapped[str] = mapped_column(String(256))
    version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    credential_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    refresh_token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    previous_refresh_token_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), index=True)
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConnectorLinkCode(TenantOwned, Base):
    __tablename__ = "connector_link_codes"
    __table_args__ = (Index("ix_connector_link_codes_code_hash", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    empresa_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connector_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
