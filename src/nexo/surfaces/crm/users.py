"""crm §2 (users and agent status). `GET|PUT /users/me` (§2.7–2.8) are `auth.me_router`'s, which
`api.routers()` includes first, so "me" never reaches `/users/{user_id}`.

GET    /users                      role, status, search, page, limit → {data, meta}   users.read
GET    /users/:id                  §2.2, with campaigns and the role's permissions    users.read
POST   /users                      §2.3 (201)                                         users.create
PUT    /users/:id                  §2.4: the fields sent change; answers §2.2         users.update
DELETE /users/:id                  §2.5 (204, soft delete, signs the user out)        users.delete
POST   /users/:id/agent-status     §2.6                        the agent, or users.status
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, crm_meta, page_params
from nexo.crm.agents import status as agent_status
from nexo.crm.agents import users as service
from nexo.surfaces.base import surface_router
from nexo.surfaces.crm.user_schemas import (
    AgentStatusBody,
    AgentStatusOut,
    ListedStatus,
    UserCreate,
    UserCreated,
    UserDetail,
    UserList,
    UserOut,
    UserUpdate,
)
from nexo.surfaces.crm.wire import IdPath, allowed

router = surface_router(prefix="/users", tags=["users"])

UserId = Annotated[int, IdPath("The user's id.")]
Reader = Annotated[Principal, allowed("users.read")]
Creator = Annotated[Principal, allowed("users.create")]
Updater = Annotated[Principal, allowed("users.update")]
Deleter = Annotated[Principal, allowed("users.delete")]
Anyone = Annotated[Principal, allowed()]  # the rule (self or users.status) is the domain's


def _summary(item: service.CrmUser) -> dict[str, Any]:
    user, role = item.user, item.user.role
    return {
        **{name: getattr(user, name) for name in UserOut.model_fields if hasattr(user, name)},
        "role": {"id": role.id, "name": role.name, "display_name": role.display_name},
        "agent_status": item.agent("agent_status"),
        "max_concurrent_chats": item.agent("max_concurrent_chats"),
    }


async def _detail(session: AsyncSession, item: service.CrmUser) -> UserDetail:
    campaigns = await service.campaigns_of(session, item.user.id)
    return UserDetail.model_validate(
        {
            **_summary(item),
            "agent_status_reason": item.agent("agent_status_reason"),
            "auto_assign_enabled": item.agent("auto_assign_enabled"),
            "campaigns": [{"id": c.id, "name": c.name, "priority": c.priority} for c in campaigns],
            "permissions": sorted(item.user.role.permissions),
        }
    )


@router.get("", response_model=UserList, summary="List users (§2.1)")
async def list_(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    role: Annotated[str | None, Query(max_length=64, description="The role's name.")] = None,
    status: Annotated[ListedStatus | None, Query()] = None,
    search: Annotated[str | None, Query(max_length=100, description="Part of the name or email.")] = None,
) -> UserList:
    result = await service.list_users(session, role=role, status=status, search=search, params=page)
    data = [UserOut.model_validate(_summary(item)) for item in result.items]
    return UserList(data=data, meta=crm_meta(result))


@router.post("", status_code=201, response_model=UserCreated, summary="Create a user (§2.3)")
async def create(body: UserCreate, session: SessionDep, principal: Creator) -> UserCreated:
    role = await service.crm_role(session, role_id=body.role_id, name=body.role)
    values = body.model_dump(exclude_unset=True, exclude={"role", "role_id"})
    created = await service.create_crm_user(session, values=values, role=role, actor=principal)
    return UserCreated.model_validate(_summary(created))


@router.get("/{user_id}", response_model=UserDetail, summary="Get a user (§2.2)")
async def get(user_id: UserId, session: SessionDep, principal: Reader) -> UserDetail:
    return await _detail(session, await service.get_crm_user(session, user_id))


@router.put("/{user_id}", response_model=UserDetail, summary="Update a user (§2.4)")
async def update(user_id: UserId, body: UserUpdate, session: SessionDep, principal: Updater) -> UserDetail:
    values = body.model_dump(exclude_unset=True)
    role_id = values.pop("role_id", None)
    role = await service.crm_role(session, role_id=role_id, name=None) if role_id is not None else None
    updated = await service.update_crm_user(
        session, user_id=user_id, values=values, role=role, actor=principal
    )
    return await _detail(session, updated)


@router.delete("/{user_id}", status_code=204, summary="Delete a user (§2.5, soft delete)")
async def delete(user_id: UserId, session: SessionDep, principal: Deleter) -> Response:
    await service.delete_crm_user(session, user_id=user_id, actor=principal)
    return Response(status_code=204)


@router.post("/{user_id}/agent-status", response_model=AgentStatusOut, summary="Set agent status (§2.6)")
async def set_agent_status(
    user_id: UserId, body: AgentStatusBody, session: SessionDep, principal: Anyone
) -> AgentStatusOut:
    target = await service.get_crm_user(session, user_id)
    profile = await agent_status.change_status(
        session,
        user_id=user_id,
        user_active=target.user.status == "active",
        status=body.agent_status,
        reason=body.agent_status_reason or None,
        actor=principal,
    )
    return AgentStatusOut(
        id=user_id,
        agent_status=profile.agent_status,
        agent_status_reason=profile.agent_status_reason,
        updated_at=profile.status_changed_at or profile.updated_at,
    )
