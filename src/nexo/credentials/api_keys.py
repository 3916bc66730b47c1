"""API keys: create (shown once), list, revoke, and find the key a request presents.

A key is `nexo_<env>_<lookup>_<secret>`; the lookup part is stored in clear and indexed, the whole key
only as its SHA-256, so a request costs one indexed read and a constant-time comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Update, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import Changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import ErrorDetail, NotFound, ValidationFailed
from nexo.core.security.opaque import ApiKeyMaterial, hash_secret, new_api_key, parse_api_key, secrets_equal
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.models import ApiKey
from nexo.credentials.scopes import check_scopes
from nexo.tenants.models import Tenant

API_KEY_SURFACE = "media"
# Tenants in these states keep their rows but lose API access.
INACTIVE_TENANT_STATUSES = frozenset({"suspended", "cancelled", "canceled", "deleted"})


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A new key: `plain` goes to the caller once and is never stored or shown again."""

    key: ApiKey
    plain: str


async def create_api_key(
    session: AsyncSession,
    *,
    actor: Principal,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    material: ApiKeyMaterial | None = None,
) -> IssuedApiKey:
    """Create a key in the session's tenant. `material` is for the demo loader's fixed key only."""
    chosen = check_scopes(API_KEY_SURFACE, scopes)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed(
            "The expiry date must be in the future.",
            details=[ErrorDetail("expires_at", "must be in the future")],
        )
    material = material or new_api_key()
    key = ApiKey(
        name=name.strip(),
        lookup_prefix=material.lookup_prefix,
        key_hash=material.hash,
        scopes=chosen,
        created_by=actor.id,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    kind, actor_id = actor.audit_actor()
    changes: Changes = {"name": {"from": None, "to": key.name}, "scopes": {"from": None, "to": chosen}}
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="api_key.created",
        entity_type="api_key",
        entity_id=key.id,
        changes=changes,
    )
    return IssuedApiKey(key=key, plain=material.full)


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key of the session's tenant, newest first, revoked ones included (they explain 401s)."""
    result = await session.scalars(select(ApiKey).order_by(ApiKey.id.desc()))
    return list(result)


async def revoke_api_key(session: AsyncSession, *, actor: Principal, key_id: int) -> ApiKey:
    """Revoke a key of the session's tenant; revoking twice keeps the first revocation time."""
    key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound("No API key with this id.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        kind, actor_id = actor.audit_actor()
        record_audit(
            session,
            actor_type=kind,
            actor_id=actor_id,
            action="api_key.revoked",
            entity_type="api_key",
            entity_id=key.id,
            changes={"revoked_at": {"from": None, "to": key.revoked_at.isoformat()}},
        )
    return key


@dataclass(frozen=True, slots=True)
class PresentedKey:
    key_id: int
    tenant_id: int
    scopes: tuple[str, ...]
    plan: str
    last_used_at: datetime | None


async def find_presented_key(session: AsyncSession, credential: str) -> PresentedKey | None:
    """The live key matching `credential`, across tenants (the caller has no tenant yet), or None."""
    parsed = parse_api_key(credential)
    if parsed is None:
        return None
    lookup, full = parsed
    allow_all_tenants(session, reason="API key lookup before the tenant is known")
    row = (
        await session.execute(
            select(ApiKey, Tenant.plan, Tenant.status)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .where(ApiKey.lookup_prefix == lookup)
        )
    ).first()
    if row is None:
        hash_secret(full)  # same work as a hit, so timing does not reveal which prefixes exist
        return None
    key, plan, status = row
    if not secrets_equal(hash_secret(full), key.key_hash) or not _usable(key, status):
        return None
    return PresentedKey(key.id, key.tenant_id, tuple(key.scopes), plan, key.last_used_at)


def _usable(key: ApiKey, tenant_status: str) -> bool:
    now = utcnow()
    expired = key.expires_at is not None and key.expires_at <= now
    return key.revoked_at is None and not expired and tenant_status not in INACTIVE_TENANT_STATUSES


def touch_due(last_used_at: datetime | None, *, interval_seconds: int) -> bool:
    return last_used_at is None or utcnow() - last_used_at >= timedelta(seconds=interval_seconds)


def _touch_statement(key_id: int, *, interval_seconds: int) -> Update:
    now = utcnow()
    # Conditional, so concurrent requests (or processes) write at most once per interval.
    return (
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where(
            or_(
                ApiKey.last_used_at.is_(None),
                ApiKey.last_used_at <= now - timedelta(seconds=interval_seconds),
            )
        )
        .values(last_used_at=now, updated_at=ApiKey.updated_at)  # a use is not an edit
        .execution_options(synchronize_session=False)
    )


async def touch_in_session(session: AsyncSession, key_id: int, *, interval_seconds: int) -> None:
    """Record use inside the request's own (writable) transaction."""
    await session.execute(_touch_statement(key_id, interval_seconds=interval_seconds))


async def touch_detached(database: Database, key: PresentedKey, *, interval_seconds: int) -> None:
    """Record use in a short transaction of its own: GET requests hold a read-only session."""
    async with database.transaction(tenant_id=key.tenant_id) as session:
        await touch_in_session(session, key.key_id, interval_seconds=interval_seconds)
