"""collections §3 (the organization) and §9 (its users and invitations)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.pagination import PageParams, page_params
from nexo.identity.invitations import invite_user
from nexo.identity.models import Role, User
from nexo.identity.organizations import (
    get_organization,
    list_people,
    organization_stats,
    split_name,
    update_organization,
)
from nexo.identity.users import current_user
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.schemas import (
    InvitationOut,
    InviteBody,
    OrganizationOut,
    OrganizationPatch,
    PageMeta,
    PeopleOut,
    PersonOut,
)
from nexo.tenants.models import Tenant

SURFACE = "collections"


def _member(*permissions: str) -> Any:
    return Depends(Authenticated(surface=SURFACE, kinds={"user"}, permissions=permissions))


OrgReader = Annotated[Principal, _member("organizacion:read")]
OrgWriter = Annotated[Principal, _member("organizacion:write")]
PeopleReader = Annotated[Principal, _member("usuarios:read")]
Inviter = Annotated[Principal, _member("usuarios:invite")]
Paging = Annotated[PageParams, Depends(page_params)]

router = surface_router(tags=["organization"])


async def _organization_out(session: SessionDep, tenant: Tenant) -> OrganizationOut:
    settings = tenant.settings or {}
    return OrganizationOut.model_validate(
        {
            "id": str(tenant.public_id),
            "nombre": tenant.name,
            "rfc": tenant.rfc,
            "plan": tenant.plan,
            "created_at": tenant.created_at,
            "settings": {
                "timezone": tenant.timezone,
                "currency": settings.get("currency", "MXN"),
                "email_domain": settings.get("emailDomain"),
            },
            "stats": await organization_stats(session),
        }
    )


@router.get("/organizations/current", summary="Get the organization (§3.1)")
async def get_current(principal: OrgReader, session: SessionDep) -> OrganizationOut:
    assert principal.tenant_id is not None
    return await _organization_out(session, await get_organization(session, principal.tenant_id))


@router.patch("/organizations/current", summary="Update the organization (§3.2)")
async def patch_current(
    body: OrganizationPatch, principal: OrgWriter, session: SessionDep
) -> OrganizationOut:
    assert principal.tenant_id is not None
    tenant = await get_organization(session, principal.tenant_id)
    extra = body.settings.model_dump(exclude_none=True, by_alias=True) if body.settings else {}
    await update_organization(
        session,
        tenant=tenant,
        actor_id=principal.id,
        name=body.nombre,
        rfc=body.rfc,
        timezone=extra.pop("timezone", None),
        settings=extra,
    )
    return await _organization_out(session, tenant)


def _person(user: User, role: Role) -> PersonOut:
    return PersonOut(
        id=str(user.public_id),
        email=user.email,
        nombre=user.full_name,
        role=role.name,
        status=user.status,
        last_login=user.last_login_at,
        created_at=user.created_at,
    )


@router.get("/users", summary="List users (§9.1)")
async def get_users(principal: PeopleReader, session: SessionDep, paging: Paging) -> PeopleOut:
    page = await list_people(session, surface=SURFACE, params=paging)
    return PeopleOut(
        data=[_person(user, role) for user, role in page.items],
        meta=PageMeta(page=page.page, limit=page.limit, total=page.total, total_pages=page.pages),
    )


@router.post("/users/invite", status_code=201, summary="Invite a user (§9.2)")
async def post_invite(
    body: InviteBody, principal: Inviter, session: SessionDep, runtime: RuntimeDep
) -> InvitationOut:
    inviter = await current_user(session, principal)
    first_name, last_name = split_name(body.nombre)
    issued = await invite_user(
        session,
        settings=runtime.settings,
        principal=principal,
        inviter=inviter,
        email=body.email,
        first_name=first_name,
        last_name=last_name,
        role_name=body.role,
        surface=SURFACE,
    )
    return InvitationOut(
        id=str(issued.user.public_id),
        email=issued.user.email,
        status="invited",
        invited_by=inviter.full_name or inviter.email,
        expires_at=issued.invitation.expires_at,
        invitation_token=issued.token,
    )
