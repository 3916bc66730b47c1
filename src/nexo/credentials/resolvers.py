"""Resolvers that turn machine credentials into principals, registered with the core
`Authenticated` dependency when this module is imported (the surfaces that use them import it).

Each resolver's `accepts` is exact, because the core tries resolvers in order and stops at the first
that accepts: API keys have their own format; machine JWTs carry `typ` = `client` or `connector`.
Tenant status, revocation and credential generation are checked on every request, so revoking a key,
a client, a grant or a connector takes effect at once, not when a token expires.
"""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.dependencies import register_resolver
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import READ_ONLY_METHODS, get_runtime
from nexo.core.security.jwt_tokens import AccessClaims, InvalidToken
from nexo.core.security.opaque import parse_api_key
from nexo.core.tenancy import scope_to_tenant
from nexo.credentials import api_keys
from nexo.credentials.api_keys import API_KEY_SURFACE, INACTIVE_TENANT_STATUSES
from nexo.credentials.connectors import ACTIVE, CONNECTOR_AUDIENCE
from nexo.credentials.models import Connector, OAuthClient, OAuthGrant
from nexo.credentials.oauth.grants import GRANT_ID_CLAIM, SCOPE_CLAIM
from nexo.credentials.permissions import CONNECTOR_PERMISSIONS
from nexo.credentials.scopes import parse_scope
from nexo.credentials.tokens import CLIENT_TOKEN, CONNECTOR_TOKEN, machine_codec, unverified_token_type
from nexo.tenants.models import Tenant

CONNECTOR_ID_HEADER = "x-connector-id"


class ApiKeyResolver:
    def accepts(self, credential: str) -> bool:
        return parse_api_key(credential) is not None

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        if surface != API_KEY_SURFACE:
            return None
        found = await api_keys.find_presented_key(session, credential)
        if found is None:
            return None
        await _record_use(request, session, found)
        return Principal(
            kind="api_key",
            id=str(found.key_id),
            tenant_id=found.tenant_id,
            permissions=frozenset(found.scopes),
            plan=found.plan,
        )


async def _record_use(request: Request, session: AsyncSession, found: api_keys.PresentedKey) -> None:
    """Write `last_used_at` at most once per interval. A GET's session is read-only on SQLite, so it
    writes in a short transaction of its own; other methods write in the request's transaction (on
    SQLite a second writer there would wait for the one the request holds)."""
    interval = get_runtime(request).settings.api_key_touch_interval_seconds
    if not api_keys.touch_due(found.last_used_at, interval_seconds=interval):
        return
    if request.method in READ_ONLY_METHODS:
        await api_keys.touch_detached(get_runtime(request).database, found, interval_seconds=interval)
    else:
        await api_keys.touch_in_session(session, found.key_id, interval_seconds=interval)


def _verified(request: Request, credential: str, audience: str) -> AccessClaims | None:
    try:
        claims = machine_codec(get_runtime(request).settings).decode(credential, audience=audience)
    except InvalidToken:
        return None
    return claims if claims.tenant_id is not None else None


class OAuthClientTokenResolver:
    def accepts(self, credential: str) -> bool:
        return unverified_token_type(credential) == CLIENT_TOKEN

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        claims = _verified(request, credential, surface)
        if claims is None or claims.extra.get("typ") != CLIENT_TOKEN or claims.tenant_id is None:
            return None
        scope_to_tenant(session, claims.tenant_id)
        row = (
            await session.execute(
                select(OAuthClient, Tenant.plan, Tenant.status)
                .join(Tenant, Tenant.id == OAuthClient.tenant_id)
                .where(OAuthClient.client_id == claims.sub, OAuthClient.surface == surface)
            )
        ).first()
        if row is None:
            return None
        client, plan, status = row
        if client.revoked_at is not None or status in INACTIVE_TENANT_STATUSES:
            return None
        grant_id = claims.extra.get(GRANT_ID_CLAIM)
        if grant_id is not None and not await _grant_live(session, str(grant_id), client.id):
            return None
        # A client whose allowed scopes were narrowed since loses the dropped ones at once.
        scopes = set(parse_scope(str(claims.extra.get(SCOPE_CLAIM, "")))) & set(client.allowed_scopes)
        return Principal(
            kind="oauth_client",
            id=client.client_id,
            tenant_id=client.tenant_id,
            permissions=frozenset(scopes),
            session_id=claims.sid,
            plan=plan,
        )


async def _grant_live(session: AsyncSession, grant_id: str, client_pk: int) -> bool:
    grant = await session.scalar(select(OAuthGrant).where(OAuthGrant.id == grant_id))
    return grant is not None and grant.client_pk == client_pk and grant.revoked_at is None


class ConnectorResolver:
    def accepts(self, credential: str) -> bool:
        return unverified_token_type(credential) == CONNECTOR_TOKEN

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        if surface != CONNECTOR_AUDIENCE:
            return None
        claims = _verified(request, credential, CONNECTOR_AUDIENCE)
        if claims is None or claims.extra.get("typ") != CONNECTOR_TOKEN or claims.tenant_id is None:
            return None
        connector_id = _same_connector(request.headers.get(CONNECTOR_ID_HEADER), claims.sub)
        if connector_id is None:
            return None
        scope_to_tenant(session, claims.tenant_id)
        row = (
            await session.execute(
                select(Connector, Tenant.plan, Tenant.status)
                .join(Tenant, Tenant.id == Connector.tenant_id)
                .where(Connector.id == connector_id)
            )
        ).first()
        if row is None:
            return None
        connector, plan, status = row
        if connector.status != ACTIVE or connector.credential_id != claims.sid:
            return None
        if status in INACTIVE_TENANT_STATUSES:
            return None
        return Principal(
            kind="connector",
            id=str(connector.id),
            tenant_id=connector.tenant_id,
            permissions=CONNECTOR_PERMISSIONS,
            session_id=claims.sid,
            plan=plan,
        )


def _same_connector(header: str | None, subject: str) -> uuid.UUID | None:
    """The connector id when the `X-Connector-Id` header names the token's own connector."""
    if not header:
        return None
    try:
        presented, own = uuid.UUID(header.strip()), uuid.UUID(subject)
    except ValueError:
        return None
    return own if presented == own else None


register_resolver(ApiKeyResolver())
register_resolver(OAuthClientTokenResolver())
register_resolver(ConnectorResolver())
