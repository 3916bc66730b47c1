"""The principal: whoever a request acts for, whatever credential it presented.

Every credential kind resolves to the same shape, so permission checks, tenant scoping, audit and
rate limiting never care whether a person or a machine is calling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrincipalKind = Literal["user", "api_key", "oauth_client", "connector"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: str  # the credential owner's id: user id, API key id, OAuth client id, connector id
    tenant_id: int | None  # None only for platform owners, who stand above tenants
    permissions: frozenset[str] = field(default_factory=frozenset)  # permission strings or scopes
    role: str | None = None
    session_id: str | None = None  # the refresh-token family of a user's login
    platform_role: str | None = None  # "PLATFORM_OWNER" for the SaaS owner's staff
    plan: str | None = None  # the tenant's plan, for quota tiers

    @property
    def is_platform_owner(self) -> bool:
        return self.platform_role == "PLATFORM_OWNER"

    def can(self, permission: str) -> bool:
        """True when the principal holds `permission` directly or through a wildcard (`chats.*`,
        `cartera:*`, `*`)."""
        if permission in self.permissions or "*" in self.permissions:
            return True
        for separator in (".", ":"):
            parts = permission.split(separator)
            for cut in range(len(parts) - 1, 0, -1):
                if separator.join(parts[:cut]) + separator + "*" in self.permissions:
                    return True
        return False

    def audit_actor(self) -> tuple[str, str]:
        return self.kind, self.id
