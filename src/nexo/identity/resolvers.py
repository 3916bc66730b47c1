"""The resolver that turns a person's JWT access token into a principal.

Signature, algorithm, issuer, lifetime and audience (the calling surface) are checked by the codec;
then one query checks what a stateless token cannot know: the user is still active, its tenant too,
and the sign-in session (`sid`) has not been revoked by a logout, a password change or a detected
refresh-token reuse. Permissions come from the role as it is now, not as it was at sign-in.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.dependencies import register_resolver
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import get_runtime
from nexo.core.security.jwt_tokens import InvalidToken
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.keys import access_codec
from nexo.identity.models import LoginSession, Role, User
from nexo.identity.status import refusal_of
from nexo.tenants.models import Tenant

log = logging.getLogger(__name__)


class JwtUserResolver:
    """Accepts compact JWS tokens (`eyJ…`.`…`.`…`); API keys and other opaque credentials never are."""

    def accepts(self, credential: str) -> bool:
        return credential.startswith("eyJ") and credential.count(".") == 2

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        settings = get_runtime(request).settings
        try:
            claims = access_codec(settings).decode(credential, audience=surface)
        except InvalidToken as error:
            log.info("access token refused", extra={"reason": error.reason, "surface": surface})
            return None
        if not claims.sub.isdigit():
            return None
        if claims.tenant_id is None:
            allow_all_tenants(session, reason="platform owner token names no tenant")
        else:
            scope_to_tenant(session, claims.tenant_id)
        user_id = int(claims.sub)
        row = (await session.execute(_ACCOUNT, {"user_id": user_id, "session_id": claims.sid})).first()
        if row is None:
            return None
        if row.revoked_at is not None or row.login_surface != surface:
            return None
        # The scoping already keeps a tenant token to its tenant; a token naming no tenant must be a
        # platform account's.
        if claims.tenant_id is None and row.tenant_id is not None:
            return None
        refusal = refusal_of(
            user_status=row.status,
            user_deleted=row.deleted_at is not None,
            tenant_status=row.tenant_status,
            role_surface=row.role_surface,
            surface=surface,
        )
        if refusal is not None:
            return None
        return Principal(
            kind="user",
            id=str(user_id),
            tenant_id=row.tenant_id,
            permissions=frozenset(row.permissions),
            role=row.role_name,
            session_id=claims.sid,
            platform_role=row.role_name if row.role_surface == "platform" else None,
            plan=row.plan,
        )


# What every authenticated request needs to know about its account, as columns, not rows: built
# once, and without loading four ORM objects per request (a good part of a simple GET's CPU).
_ACCOUNT = (
    select(
        User.tenant_id,
        User.status,
        User.deleted_at,
        Role.name.label("role_name"),
        Role.surface.label("role_surface"),
        Role.permissions,
        LoginSession.revoked_at,
        LoginSession.surface.label("login_surface"),
        Tenant.status.label("tenant_status"),
        Tenant.plan,
    )
    .join(Role, Role.id == User.role_id)
    .join(LoginSession, LoginSession.user_id == User.id)
    .outerjoin(Tenant, Tenant.id == User.tenant_id)
    .where(User.id == bindparam("user_id"), LoginSession.id == bindparam("session_id"))
)


USER_RESOLVER = JwtUserResolver()
register_resolver(USER_RESOLVER)
