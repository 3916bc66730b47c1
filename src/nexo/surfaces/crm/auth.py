"""crm §1 (authentication) and §2.7–2.8 (my profile), in the crm spec's snake_case shapes.

A user with 2FA gets a challenge instead of tokens from `POST /auth/login`
(`{"two_factor_required": true, "challenge_token", "expires_in"}`) and finishes with
`POST /auth/2fa/login` and a code from their authenticator (or a backup code).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from pydantic import Field, model_validator

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.identity import sessions, twofactor
from nexo.identity.login import ChallengeIssued, LoginOutcome, complete_two_factor_login, login_with_password
from nexo.identity.models import User
from nexo.identity.users import change_password, current_user, update_profile
from nexo.surfaces.base import surface_router

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


class TwoFactorLoginBody(StrictBody):
    challenge_token: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _one_factor(self) -> TwoFactorLoginBody:
        if not self.code and not self.backup_code:
            raise ValueError("send code (from the authenticator app) or backup_code")
        return self


class RefreshBody(StrictBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class ChangePasswordBody(StrictBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class CodeBody(StrictBody):
    code: str = Field(min_length=1, max_length=16)


class DisableTwoFactorBody(StrictBody):
    password: str = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)


class ProfileBody(StrictBody):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164")
    avatar_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")


class RoleOut(WireModel):
    id: int
    name: str
    display_name: str


class LoginUserOut(WireModel):
    id: int
    email: str
    first_name: str
    last_name: str
    role: RoleOut
    permissions: list[str]


class TokensOut(WireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginOut(TokensOut):
    user: LoginUserOut


class ChallengeOut(WireModel):
    two_factor_required: bool = True
    challenge_token: str
    expires_in: int


class MessageOut(WireModel):
    message: str


class EnableOut(WireModel):
    secret: str
    qr_code: str
    backup_codes: list[str]


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


def _login_user(user: User) -> dict[str, Any]:
    role = user.role
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": {"id": role.id, "name": role.name, "display_name": role.display_name},
        "permissions": sorted(role.permissions),
    }


def _login_answer(outcome: LoginOutcome) -> LoginOut | ChallengeOut:
    if isinstance(outcome, ChallengeIssued):
        return ChallengeOut(challenge_token=outcome.challenge_token, expires_in=outcome.expires_in)
    tokens = outcome.tokens
    return LoginOut.model_validate(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "user": _login_user(outcome.user),
        }
    )


def _profile(user: User) -> ProfileOut:
    return ProfileOut.model_validate(
        {
            **_login_user(user),
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
    outcome = await login_with_password(
        session,
        database=runtime.database,
        settings=runtime.settings,
        email=body.email,
        password=body.password,
        surface=SURFACE,
        tenant=body.tenant,
    )
    return _login_answer(outcome)


@router.post("/2fa/login", summary="Second step of a login with 2FA")
async def login_second_factor(body: TwoFactorLoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut:
    outcome = await complete_two_factor_login(
        session,
        database=runtime.database,
        settings=runtime.settings,
        challenge_token=body.challenge_token,
        code=body.code,
        backup_code=body.backup_code,
        surface=SURFACE,
    )
    answer = _login_answer(outcome)
    assert isinstance(answer, LoginOut)
    return answer


@router.post("/refresh", summary="Refresh token (§1.2)")
async def refresh(body: RefreshBody, session: SessionDep, runtime: RuntimeDep) -> TokensOut:
    _, tokens = await sessions.refresh_session(
        session,
        database=runtime.database,
        settings=runtime.settings,
        refresh_token=body.refresh_token,
        surface=SURFACE,
    )
    return TokensOut(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
    )


@router.post("/logout", summary="Logout (§1.3)")
async def logout(principal: CrmUser, session: SessionDep) -> MessageOut:
    assert principal.session_id is not None
    await sessions.logout(session, user_id=int(principal.id), session_id=principal.session_id)
    return MessageOut(message="Sesión cerrada exitosamente")


@router.put("/change-password", summary="Change password (§1.4)")
async def put_change_password(
    body: ChangePasswordBody, principal: CrmUser, session: SessionDep
) -> MessageOut:
    user = await current_user(session, principal)
    await change_password(
        session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=principal.session_id,
    )
    return MessageOut(message="Contraseña actualizada exitosamente")


@router.post("/2fa/enable", summary="Enable 2FA (§1.5)")
async def enable_two_factor(principal: CrmUser, session: SessionDep, runtime: RuntimeDep) -> EnableOut:
    user = await current_user(session, principal)
    enrollment = await twofactor.begin_enrollment(session, settings=runtime.settings, user=user)
    return EnableOut(
        secret=enrollment.secret, qr_code=enrollment.qr_code, backup_codes=enrollment.backup_codes
    )


@router.post("/2fa/verify", summary="Verify 2FA (§1.6)")
async def verify_two_factor(
    body: CodeBody, principal: CrmUser, session: SessionDep, runtime: RuntimeDep
) -> VerifyOut:
    user = await current_user(session, principal)
    await twofactor.confirm_enrollment(session, settings=runtime.settings, user=user, code=body.code)
    return VerifyOut(message="Autenticación de dos factores activada", two_factor_enabled=True)


@router.post("/2fa/disable", summary="Disable 2FA")
async def disable_two_factor(
    body: DisableTwoFactorBody, principal: CrmUser, session: SessionDep, runtime: RuntimeDep
) -> VerifyOut:
    user = await current_user(session, principal)
    await twofactor.disable(
        session,
        settings=runtime.settings,
        user=user,
        password=body.password,
        code=body.code,
        backup_code=body.backup_code,
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
