"""crm §1 (authentication) and §2.7–2.8 (my profile), in the crm spec's snake_case shapes.

A user with 2FA gets a challenge instead of tokens from `POST /auth/login`
(`{"two_factor_required": true, "challenge_token", "expires_in"}`) and finishes with
`POST /auth/2fa/login` and a code from their authenticator (or a backup code).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends
from pydantic import Field

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.identity.login import ChallengeIssued, LoginOutcome
from nexo.identity.models import User
from nexo.identity.users import current_user, update_profile
from nexo.surfaces import signin_flow as flow
from nexo.surfaces.base import surface_router
from nexo.surfaces.signin import (
    ChallengeOut,
    ChangePasswordBody,
    CodeBody,
    DisableTwoFactorBody,
    EnableOut,
    RefreshBody,
    RoleOut,
    TwoFactorLoginBody,
    UserOut,
    user_fields,
)
from nexo.surfaces.signin_flow import token_fields

SURFACE = "crm"
CrmUser = Annotated[Principal, Depends(Authenticated(surface=SURFACE, kinds={"user"}))]

router = surface_router(prefix="/auth", tags=["auth"])
me_router = surface_router(prefix="/users", tags=["users"])


class LoginBody(StrictBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    tenant: str | None = Field(
        default=None, max_length=64, description="Tenant slug, when the email has several."
    )


class ProfileBody(StrictBody):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164")
    avatar_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")


class LoginUserOut(UserOut):
    pass  # signin.py's user, under the schema name crm's OpenAPI document has always used


class TokensOut(WireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginOut(TokensOut):
    user: LoginUserOut


class MessageOut(WireModel):
    message: str


class VerifyOut(MessageOut):
    two_factor_enabled: bool


class ProfileOut(WireModel):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str | None
    avatar_url: str | None
    role: RoleOut
    status: str
    permissions: list[str]
    two_factor_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


def _login_answer(outcome: LoginOutcome) -> LoginOut | ChallengeOut:
    if isinstance(outcome, ChallengeIssued):
        return ChallengeOut(challenge_token=outcome.challenge_token, expires_in=outcome.expires_in)
    return LoginOut.model_validate({**token_fields(outcome.tokens), "user": user_fields(outcome.user)})


def _profile(user: User) -> ProfileOut:
    return ProfileOut.model_validate(
        {
            **user_fields(user),
            "phone": user.phone,
            "avatar_url": user.avatar_url,
            "status": user.status,
            "two_factor_enabled": user.two_factor_enabled,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
        }
    )


@router.post("/login", summary="Login (§1.1)")
async def login(body: LoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut | ChallengeOut:
    outcome = await flow.password_login(
        session, runtime, surface=SURFACE, email=body.email, password=body.password, tenant=body.tenant
    )
    return _login_answer(outcome)


@router.post("/2fa/login", summary="Second step of a login with 2FA")
async def login_second_factor(body: TwoFactorLoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut:
    outcome = await flow.second_factor_login(
        session,
        runtime,
        surface=SURFACE,
        challenge_token=body.challenge_token,
        code=body.code,
        backup_code=body.backup_code,
    )
    answer = _login_answer(outcome)
    assert isinstance(answer, LoginOut)
    return answer


@router.post("/refresh", summary="Refresh token (§1.2)")
async def refresh(body: RefreshBody, session: SessionDep, runtime: RuntimeDep) -> TokensOut:
    tokens = await flow.refresh_tokens(session, runtime, surface=SURFACE, refresh_token=body.refresh_token)
    return TokensOut.model_validate(token_fields(tokens))


@router.post("/logout", summary="Logout (§1.3)")
async def logout(principal: CrmUser, session: SessionDep) -> MessageOut:
    await flow.logout(session, principal)
    return MessageOut(message="Sesión cerrada exitosamente")


@router.put("/change-password", summary="Change password (§1.4)")
async def put_change_password(
    body: ChangePasswordBody, principal: CrmUser, session: SessionDep
) -> MessageOut:
    await flow.change_own_password(
        session, principal, current_password=body.current_password, new_password=body.new_password
    )
    return MessageOut(message="Contraseña actualizada exitosamente")


@router.post("/2fa/enable", summary="Enable 2FA (§1.5)")
async def enable_two_factor(principal: CrmUser, session: SessionDep, runtime: RuntimeDep) -> EnableOut:
    return EnableOut.model_validate(await flow.begin_two_factor(session, runtime, principal))


@router.post("/2fa/verify", summary="Verify 2FA (§1.6)")
async def verify_two_factor(
    body: CodeBody, principal: CrmUser, session: SessionDep, runtime: RuntimeDep
) -> VerifyOut:
    await flow.confirm_two_factor(session, runtime, principal, body.code)
    return VerifyOut(message="Autenticación de dos factores activada", two_factor_enabled=True)


@router.post("/2fa/disable", summary="Disable 2FA")
async def disable_two_factor(
    body: DisableTwoFactorBody, principal: CrmUser, session: SessionDep, runtime: RuntimeDep
) -> VerifyOut:
    await flow.disable_two_factor(
        session, runtime, principal, password=body.password, code=body.code, backup_code=body.backup_code
    )
    return VerifyOut(message="Autenticación de dos factores desactivada", two_factor_enabled=False)


@me_router.get("/me", summary="My profile (§2.7)")
async def get_me(principal: CrmUser, session: SessionDep) -> ProfileOut:
    return _profile(await current_user(session, principal))


@me_router.put("/me", summary="Update my profile (§2.8)")
async def put_me(body: ProfileBody, principal: CrmUser, session: SessionDep) -> ProfileOut:
    user = await current_user(session, principal)
    changes = body.model_dump(exclude_unset=True)
    await update_profile(session, user=user, changes=changes, actor_id=principal.id)
    return _profile(user)
