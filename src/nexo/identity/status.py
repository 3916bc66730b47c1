"""Whether an account may sign in (or keep a session) on a surface, in one place."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from nexo.identity.models import User
from nexo.identity.permissions import role_serves
from nexo.tenants.models import Tenant


def account_refusal(*, user: User, tenant: Tenant | None, surface: str) -> str | None:
    """Why `user` may not act on `surface`, in words for the person; None when they may."""
    return refusal_of(
        user_status=user.status,
        user_deleted=user.deleted_at is not None,
        tenant_status=tenant.status if tenant is not None else None,
        role_surface=user.role.surface,
        surface=surface,
    )


def refusal_of(
    *, user_status: str, user_deleted: bool, tenant_status: str | None, role_surface: str, surface: str
) -> str | None:
    """`account_refusal` from the values alone (`tenant_status` None: a platform account), for the
    per-request check, which reads those columns rather than whole rows."""
    if user_deleted or user_status != "active":
        return "This account is not active."
    if tenant_status is not None and tenant_status != "active":
        return "This organization is not active."
    if not role_serves(role_surface, surface):
        return "This account cannot sign in here."
    return None


async def sign_in_refusal(session: AsyncSession, *, user: User, surface: str) -> str | None:
    """`account_refusal` for a user whose role is loaded; fetches the tenant row."""
    tenant = await session.get(Tenant, user.tenant_id) if user.tenant_id is not None else None
    return account_refusal(user=user, tenant=tenant, surface=surface)
