"""Registered OAuth clients: registration (secret shown once), listing, revocation, and client
authentication at the token endpoint."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.core.security.opaque import hash_secret, new_secret, secrets_equal
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.credentials.api_keys import INACTIVE_TENANT_STATUSES
from nexo.credentials.models import OAuthClient
from nexo.credentials.oauth.errors import INVALID_CLIENT, FailedAttempt, OAuthError
from nexo.credentials.scopes import check_scopes
from nexo.tenants.models import Tenant

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a grant type name, not a secret
GRANT_TYPES_BY_SURFACE = {
    "media": (CLIENT_CREDENTIALS,),
    "tasks": (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS),
}
_LOOPBACK_HOSTS = frozenset({"localhost"})
MAX_REDIRECT_URIS = 10


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A new client: `secret` goes to the caller once and is never stored or shown again."""

    client: OAuthClient
    secret: str


async def register_client(
    session: AsyncSession,
    *,
    actor: Principal,
    surface: str,
    name: str,
    scopes: Iterable[str],
    redirect_uris: Iterable[str] = (),
) -> IssuedClient:
    """Register a client of `surface` in the session's tenant, with every grant type it supports."""
    chosen = check_scopes(surface, scopes)
    uris = check_redirect_uris(redirect_uris)
    grant_types = list(GRANT_TYPES_BY_SURFACE[surface])
    if AUTHORIZATION_CODE in grant_types and not uris:
        raise ValidationFailed(
            "A redirect URI is required for the authorization-code flow.",
            details=[ErrorDetail("redirect_uri", "required")],
        )
    secret = new_secret("nx_ocs")
    client = OAuthClient(
        client_id=new_secret("nxc", 16),
        name=name.strip(),
        surface=surface,
        secret_hash=hash_secret(secret),
        allowed_scopes=chosen,
        grant_types=grant_types,
        redirect_uris=uris,
        created_by=actor.id,
    )
    session.add(client)
    await session.flush()
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="oauth_client.created",
        entity_type="oauth_client",
        entity_id=client.client_id,
        changes={"scopes": {"from": None, "to": chosen}, "redirect_uris": {"from": None, "to": uris}},
    )
    return IssuedClient(client=client, secret=secret)


def check_redirect_uris(uris: Iterable[str]) -> list[str]:
    """Absolute https URIs without fragment (RFC 6749 §3.1.2); plain http only on loopback (RFC 8252)."""
    checked = sorted({uri.strip() for uri in uris})
    if len(checked) > MAX_REDIRECT_URIS:
        raise ValidationFailed(details=[ErrorDetail("redirect_uri", f"at most {MAX_REDIRECT_URIS}")])
    problems = [
        ErrorDetail("redirect_uri", f"{uri!r}: {why}") for uri in checked if (why := _uri_problem(uri))
    ]
    if problems:
        raise ValidationFailed(f"Invalid redirect URI: {problems[0].message}", details=problems)
    return checked


def _uri_problem(uri: str) -> str | None:
    if len(uri) > 2000:
        return "longer than 2000 characters"
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return "must not contain a fragment"
    if not parts.hostname:
        return "must be an absolute URI with a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "must use https (plain http only for localhost)"


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def list_clients(session: AsyncSession, *, surface: str) -> list[OAuthClient]:
    result = await session.scalars(
        select(OAuthClient).where(OAuthClient.surface == surface).order_by(OAuthClient.id.desc())
    )
    return list(result)


async def revoke_client(
    session: AsyncSession, *, actor: Principal, surface: str, client_id: str
) -> OAuthClient:
    """Revoke a client of the session's tenant: its secret and every token it holds stop working."""
    client = await session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.surface == surface)
    )
    if client is None:
        raise NotFound("No OAuth client with this id.")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        kind, actor_id = actor.audit_actor()
        record_audit(
            session,
            actor_type=kind,
            actor_id=actor_id,
            action="oauth_client.revoked",
            entity_type="oauth_client",
            entity_id=client.client_id,
            changes={"revoked_at": {"from": None, "to": client.revoked_at.isoformat()}},
        )
    return client


async def authenticate_client(
    session: AsyncSession, *, client_id: str, client_secret: str, surface: str
) -> OAuthClient:
    """The live client of `surface` with this id and secret; the session is then scoped to its tenant.

    Every failure is the same `invalid_client`, so a caller cannot tell an unknown id from a wrong
    secret; the failed attempt is audited against the client's tenant when the id exists."""
    allow_all_tenants(session, reason="OAuth client authentication before the tenant is known")
    row = (
        await session.execute(
            select(OAuthClient, Tenant.status)
            .join(Tenant, Tenant.id == OAuthClient.tenant_id)
            .where(OAuthClient.client_id == client_id)
        )
    ).first()
    presented = hash_secret(client_secret)
    if row is None:
        raise _invalid_client(None, client_id)
    client: OAuthClient = row[0]
    tenant_status: str = row[1]
    usable = client.revoked_at is None and client.surface == surface
    if not (secrets_equal(presented, client.secret_hash) and usable):
        raise _invalid_client(client.tenant_id, client_id)
    if tenant_status in INACTIVE_TENANT_STATUSES:
        raise _invalid_client(client.tenant_id, client_id)
    scope_to_tenant(session, client.tenant_id)
    return client


def _invalid_client(tenant_id: int | None, client_id: str) -> OAuthError:
    return OAuthError(
        INVALID_CLIENT,
        "Client authentication failed.",
        attempt=FailedAttempt(tenant_id=tenant_id, client_id=client_id, action="oauth.client_auth_failed"),
    )
