"""The resolver that turns a person's JWT access token into a principal.

Signature, algorithm, issuer, lifetime and audience (the calling surface) are checked by the codec;
then one query checks what a stateless token cannot know: the user is still active, its tenant too,
and the sign-in session (`sid`) has not been revoked by a logout, a password change or a detected
refresh-token reuse. Permissions come from the role as it is now, not as it was at sign-in.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from nexo.core.auth.dependencies import register_resolver
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import get_runtime
from nexo.core.security.jwt_tokens import InvalidToken
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.identity.keys import access_codec
from nexo.identity.models import LoginSession, Role, User
from nexo.identity.status import account_refusal
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
        row = (
            await session.execute(
                select(User, LoginSession, Tenant)
                .join(User.role)
                .options(contains_eager(User.role))
                .join(LoginSession, LoginSession.user_id == User.id)
                .outerjoin(Tenant, Tenant.id == User.tenant_id)
                .where(User.id == int(claims.sub), LoginSession.id == claims.sid)
            )
        ).first()
        if row is None:
            return None
        user, login, tenant = row
        if login.revoked_at is not None or login.surface != surface:
            return None
        # The scoping already keeps a tenant token to its tenant; a token naming no tenant must be a
        # platform account's.
        if claims.tenant_id is None and user.tenant_id is not None:
            return None
        if account_refusal(user=user, tenant=tenant, surface=surface) is not None:
            return None
        return _principal(user, tenant, session_id=login.id)


def _principal(user: User, tenant: Tenant | None, *, session_id: str) -> Principal:
    role: Role = user.role
    return Principal(
        kind="user",
        id=str(user.id),
        tenant_id=user.tenant_id,
        permissions=frozenset(role.permissions),
        role=role.name,
        session_id=session_id,
        platform_role=role.name if role.surface == "platform" else None,
        plan=tenant.plan if tenant is not None else None,
    )


USER_RESOLVER = JwtUserResolver()
register_resolver(USER_RESOLVER)
