"""OAuth errors (RFC 6749 §5.2) and what must survive the failed request.

A failed token request rolls back, yet some failures must leave a trace: an audit record of a failed
client authentication, and the revocation of a grant whose code or refresh token was replayed. The
error carries those facts; `settle` writes them in a transaction of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nexo.core.audit import record_audit_detached
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.models import OAuthAuthorizationCode, OAuthGrant

INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
UNAUTHORIZED_CLIENT = "unauthorized_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
INVALID_SCOPE = "invalid_scope"
# Authorization endpoint only (§4.1.2.1).
UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
ACCESS_DENIED = "access_denied"


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """An audit record to keep although the request fails."""

    tenant_id: int | None
    client_id: str
    action: str


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        *,
        attempt: FailedAttempt | None = None,
        revoke_grant_id: str | None = None,
        revoke_grant_of_code: str | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.attempt = attempt
        self.revoke_grant_id = revoke_grant_id
        self.revoke_grant_of_code = revoke_grant_of_code  # a code hash whose grant must die

    @property
    def status_code(self) -> int:
        # §5.2: invalid_client is a 401 (the client authenticated, or tried to); the rest are 400.
        return 401 if self.error == INVALID_CLIENT else 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


async def settle(database: Database, error: OAuthError) -> None:
    """Write the failure's lasting effects. Call it after the request's session has rolled back."""
    if error.revoke_grant_id or error.revoke_grant_of_code:
        await _revoke_replayed_grant(database, error)
    if error.attempt is not None:
        await record_audit_detached(
            database,
            tenant_id=error.attempt.tenant_id,
            actor_type="oauth_client",
            actor_id=error.attempt.client_id[:64],
            action=error.attempt.action,
            entity_type="oauth_client",
            entity_id=error.attempt.client_id[:64],
            changes={"error": {"from": None, "to": error.error}},
            success=False,
        )


async def _revoke_replayed_grant(database: Database, error: OAuthError) -> None:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="revoking a grant whose code or refresh token was replayed")
        grant_id = error.revoke_grant_id
        if grant_id is None:
            grant_id = await session.scalar(
                select(OAuthAuthorizationCode.grant_id).where(
                    OAuthAuthorizationCode.code_hash == error.revoke_grant_of_code
                )
            )
        grant = None if grant_id is None else await session.get(OAuthGrant, grant_id)
        if grant is None or grant.revoked_at is not None:
            return
        grant.revoked_at = utcnow()
        tenant_id = grant.tenant_id
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="system",
        actor_id=None,
        action="oauth.grant_revoked",
        entity_type="oauth_grant",
        entity_id=grant_id,
        changes={"reason": {"from": None, "to": "replayed credential"}},
        success=True,
    )
