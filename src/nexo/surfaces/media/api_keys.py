"""Media API keys: create (the key is in this one response), list, revoke.

    POST   /media/v2/api-keys        {name, scopes, expires_at?}  → 201 {…, "key": "nexo_live_…"}
    GET    /media/v2/api-keys                                      → 200 {"data": [...]}
    DELETE /media/v2/api-keys/{id}                                 → 204

Managing keys takes a user with `api_keys.manage`; a key can never manage keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Response
from pydantic import AliasChoices, AwareDatetime, Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.db.types import MAX_ID
from nexo.core.http.deps import SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.credentials import (
    api_keys,
    resolvers,  # noqa: F401  (registers the machine-credential resolvers)
)
from nexo.credentials.models import ApiKey
from nexo.credentials.permissions import MANAGE_API_KEYS, require_tenant
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.surfaces.base import surface_router

KeyManager = Annotated[
    Principal, Depends(Authenticated(surface="media", permissions={MANAGE_API_KEYS}, kinds={"user"}))
]

router = surface_router(prefix="/api-keys", tags=["api keys"])


class CreateApiKeyBody(StrictBody):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        min_length=1, max_length=len(MEDIA_SCOPES), description=f"Any of: {', '.join(MEDIA_SCOPES)}."
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="Optional expiry (ISO 8601, with zone)."
    )


class ApiKeyOut(WireModel):
    id: int
    name: str
    prefix: str = Field(
        validation_alias=AliasChoices("lookup_prefix", "prefix"),
        description="The public lookup part of the key.",
    )
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The API key. Shown only in this response; store it now.")


class ApiKeyList(WireModel):
    data: list[ApiKeyOut]


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key)


@router.post("", status_code=201, response_model=CreatedApiKeyOut)
async def create_key(body: CreateApiKeyBody, session: SessionDep, user: KeyManager) -> CreatedApiKeyOut:
    require_tenant(user)
    issued = await api_keys.create_api_key(
        session, actor=user, name=body.name, scopes=body.scopes, expires_at=body.expires_at
    )
    return CreatedApiKeyOut(**_out(issued.key).model_dump(), key=issued.plain)


@router.get("", response_model=ApiKeyList)
async def list_keys(session: SessionDep, user: KeyManager) -> ApiKeyList:
    require_tenant(user)
    return ApiKeyList(data=[_out(key) for key in await api_keys.list_api_keys(session)])


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: KeyManager
) -> Response:
    require_tenant(user)
    await api_keys.revoke_api_key(session, actor=user, key_id=key_id)
    return Response(status_code=204)
