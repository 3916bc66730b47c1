"""Route dependencies that authenticate and authorise.

    CrmUser = Annotated[Principal, Depends(Authenticated(surface="crm", permissions={"chats.read"}))]

`Authenticated` reads the Bearer credential, asks each registered resolver in turn to turn it into
a principal, answers 401 when none can and 403 when the principal lacks a permission, binds the
request's database session to the principal's tenant, and leaves the principal on
`request.state.principal` for audit and rate limiting.

Credential kinds plug in through `register_resolver` (JWT user tokens, API keys, OAuth client
tokens, connector tokens), so this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit_detached
from nexo.core.auth.principal import Principal, PrincipalKind
from nexo.core.errors import Forbidden, Unauthorized
from nexo.core.http.deps import get_runtime, get_session
from nexo.core.idempotency import guard_idempotency
from nexo.core.ratelimit.enforce import enforce_principal_limits
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant


class CredentialResolver(Protocol):
    """Turns one kind of presented credential into a principal."""

    def accepts(self, credential: str) -> bool:
        """Cheap syntactic check (prefix, shape); no database access."""
        ...

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        """The principal, or None when the credential is unknown, expired or revoked."""
        ...


_resolvers: list[CredentialResolver] = []


def register_resolver(resolver: CredentialResolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def bearer_credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def resolve_principal(request: Request, session: AsyncSession, *, surface: str) -> Principal:
    credential = bearer_credential(request)
    if credential is None:
        raise Unauthorized("Send a Bearer token in the Authorization header.")
    # Several kinds can share a syntax (user and OAuth-client tokens are both JWTs), so every
    # resolver that accepts the credential gets its turn; each verifies with its own key.
    for resolver in _resolvers:
        if resolver.accepts(credential):
            principal = await resolver.resolve(request, session, credential, surface=surface)
            if principal is not None:
                return principal
    raise Unauthorized("The token is invalid, expired or revoked.", code="INVALID_TOKEN")


class Authenticated:
    """Dependency: demand a principal, optionally of some kinds and holding some permissions."""

    def __init__(
        self,
        *,
        surface: str,
        permissions: Iterable[str] = (),
        kinds: Iterable[PrincipalKind] | None = None,
        platform_owner: bool = False,
    ) -> None:
        self.surface = surface
        self.permissions = tuple(permissions)
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.platform_owner = platform_owner

    async def __call__(self, request: Request) -> Principal:
        session = get_session(request)
        principal = await resolve_principal(request, session, surface=self.surface)
        request.state.principal = principal
        await enforce_principal_limits(request, principal, surface=self.surface)
        if self.kinds is not None and principal.kind not in self.kinds:
            raise await _denied(request, principal, "This credential cannot be used for this operation.")
        if self.platform_owner and not principal.is_platform_owner:
            raise await _denied(request, principal, "Only platform owners can do this.")
        missing = [permission for permission in self.permissions if not principal.can(permission)]
        if missing:
            message = f"Missing permission: {', '.join(missing)}."
            raise await _denied(request, principal, message, missing=missing, code="INSUFFICIENT_PERMISSIONS")
        if principal.tenant_id is not None:
            scope_to_tenant(session, principal.tenant_id)
        else:
            allow_all_tenants(session, reason=f"platform owner {principal.id}")
        await guard_idempotency(request, session, principal, surface=self.surface)
        return principal


async def _denied(
    request: Request,
    principal: Principal,
    message: str,
    *,
    missing: Iterable[str] = (),
    code: str | None = None,
) -> Forbidden:
    """Audit a refusal (in its own transaction: the request rolls back) and return the 403 to raise."""
    actor_type, actor_id = principal.audit_actor()
    await record_audit_detached(
        get_runtime(request).database,
        tenant_id=principal.tenant_id,
        actor_type=actor_type,
        actor_id=actor_id,
        action="permission.denied",
        entity_type="Route",
        entity_id=f"{request.method} {request.url.path}"[:64],
        changes={"missing": {"from": None, "to": list(missing)}} if missing else None,
    )
    return Forbidden(message, code=code)
