"""Platform panel "APIs Disponibles → Autenticación": the SaaS owner's staff sign in here.

`POST /api/auth/login` answers `{accessToken, refreshToken, user{id, email, platformRole}}` (plus
`expiresIn`); refresh, logout, me and 2FA follow the same camelCase conventions. Only accounts with
a platform role can sign in; tenant users are refused as unknown credentials.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response
from pydantic import Field, model_validator

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import CamelStrictBody, CamelWireModel
from nexo.identity.login import ChallengeIssued, LoginOutcome
from nexo.identity.models import User
from nexo.identity.users import current_user
from nexo.surfaces import signin_flow as flow
from nexo.surfaces.base import surface_router

SURFACE = "platform"
StaffUser = Annotated[Principal, Depends(Authenticated(surface=SURFACE, kinds={"user"}))]

router = surface_router(prefix="/auth", tags=["auth"])


class LoginBody(CamelStrictBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class TwoFactorLoginBody(CamelStrictBody):
    challenge_token: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _one_factor(self) -> TwoFactorLoginBody:
        if not self.code and not self.backup_code:
            raise ValueError("send code (from the authenticator app) or backupCode")
        return self


class RefreshBody(CamelStrictBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class ChangePasswordBody(CamelStrictBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class CodeBody(CamelStrictBody):
    code: str = Field(min_length=1, max_length=16)


class DisableBody(CamelStrictBody):
    password: str = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, max_length=16)
    backup_code: str | None = Field(default=None, max_length=32)


class StaffOut(CamelWireModel):
    id: str
    email: str
    name: str
    platform_role: str | None
    two_factor_enabled: bool


class TokensOut(CamelWireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginOut(TokensOut):
    user: StaffOut


class ChallengeOut(CamelWireModel):
    two_factor_required: bool = True
    challenge_token: str
    expires_in: int


class EnableOut(CamelWireModel):
    secret: str
    qr_code: str
    backup_codes: list[str]


class TwoFactorStateOut(CamelWireModel):
    two_factor_enabled: bool


def _staff(user: User) -> StaffOut:
    role = user.role
    return StaffOut(
        id=str(user.public_id),
        email=user.email,
        name=user.full_name,
        platform_role=role.name if role.surface == SURFACE else None,
        two_factor_enabled=user.two_factor_enabled,
    )


def _answer(outcome: LoginOutcome) -> LoginOut | ChallengeOut:
    if isinstance(outcome, ChallengeIssued):
        return ChallengeOut(challenge_token=outcome.challenge_token, expires_in=outcome.expires_in)
    return LoginOut.model_validate({**flow.token_fields(outcome.tokens), "user": _staff(outcome.user)})


@router.post("/login", summary="Sign in")
async def login(body: LoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut | ChallengeOut:
    outcome = await flow.password_login(
        session, runtime, surface=SURFACE, email=body.email, password=body.password
    )
    return _answer(outcome)


@router.post("/2fa/login", summary="Second step of a sign-in with 2FA")
async def login_second_factor(body: TwoFactorLoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut:
    outcome = await flow.second_factor_login(
        session,
        runtime,
        surface=SURFACE,
        challenge_token=body.challenge_token,
        code=body.code,
        backup_code=body.backup_code,
    )
    answer = _answer(outcome)
    assert isinstance(answer, LoginOut)
    return answer


@router.post("/refresh", summary="Refresh the access token")
async def refresh(body: RefreshBody, session: SessionDep, runtime: RuntimeDep) -> TokensOut:
    tokens = await flow.refresh_tokens(session, runtime, surface=SURFACE, refresh_token=body.refresh_token)
    return TokensOut.model_validate(flow.token_fields(tokens))


@router.post("/logout", status_code=204, summary="Sign out")
async def logout(principal: StaffUser, session: SessionDep) -> Response:
    await flow.logout(session, principal)
    return Response(status_code=204)


@router.post("/change-password", status_code=204, summary="Change my password (ends my other sessions)")
async def post_change_password(
    body: ChangePasswordBody, principal: StaffUser, session: SessionDep
) -> Response:
    await flow.change_own_password(
        session, principal, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=204)


@router.get("/me", summary="The signed-in platform user")
async def me(principal: StaffUser, session: SessionDep) -> StaffOut:
    return _staff(await current_user(session, principal))


@router.post("/2fa/enable", summary="Start 2FA enrolment")
async def enable_two_factor(principal: StaffUser, session: SessionDep, runtime: RuntimeDep) -> EnableOut:
    return EnableOut.model_validate(await flow.begin_two_factor(session, runtime, principal))


@router.post("/2fa/verify", summary="Activate 2FA with a first code")
async def verify_two_factor(
    body: CodeBody, principal: StaffUser, session: SessionDep, runtime: RuntimeDep
) -> TwoFactorStateOut:
    await flow.confirm_two_factor(session, runtime, principal, body.code)
    return TwoFactorStateOut(two_factor_enabled=True)


@router.post("/2fa/disable", summary="Turn 2FA off")
async def disable_two_factor(
    body: DisableBody, principal: StaffUser, session: SessionDep, runtime: RuntimeDep
) -> TwoFactorStateOut:
    await flow.disable_two_factor(
        session, runtime, principal, password=body.password, code=body.code, backup_code=body.backup_code
    )
    return TwoFactorStateOut(two_factor_enabled=False)
