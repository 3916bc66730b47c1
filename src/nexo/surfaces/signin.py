"""People's sign-in for surfaces whose specs describe none (media, tasks), in crm's snake_case shapes.

Media and tasks specs only describe machine credentials, yet creating an API key or registering an
OAuth client needs a person signed in to that surface. `signin_router(surface)` gives such a surface
the identity login service behind `/auth/...`: login (or a 2FA challenge), the 2FA second step,
refresh, logout, me, password change and 2FA enrolment. The shapes follow crm's, plus `token_type`.
Only accounts whose role serves the surface (family `media`/`tasks`, or `any`) can sign in, and the
tokens are valid on that surface alone (their audience).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field, model_validator

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import StrictBody, WireModel
from nexo.identity.login import ChallengeIssued, LoginOutcome
from nexo.identity.models import User
from nexo.identity.users import current_user
from nexo.surfaces import signin_flow as flow
from nexo.surfaces.base import surface_router
from nexo.surfaces.signin_flow import token_fields


class LoginBody(StrictBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    tenant: str | None = Field(
        default=None, max_length=64, description="Tenant slug or id, when the email has several."
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


class RoleOut(WireModel):
    id: int
    name: str
    display_name: str


class UserOut(WireModel):
    id: int
    email: str
    first_name: str
    last_name: str
    role: RoleOut
    permissions: list[str]


class ProfileOut(UserOut):
    two_factor_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


class TokensOut(WireModel):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 scheme, not a secret


class LoginOut(TokensOut):
    user: UserOut


class ChallengeOut(WireModel):
    two_factor_required: bool = True
    challenge_token: str
    expires_in: int


class EnableOut(WireModel):
    secret: str
    qr_code: str
    backup_codes: list[str]


class TwoFactorStateOut(WireModel):
    two_factor_enabled: bool


def user_fields(user: User) -> dict[str, Any]:
    """The signed-in person as crm's login answer shows them (crm shares it)."""
    role = user.role
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": {"id": role.id, "name": role.name, "display_name": role.display_name},
        "permissions": sorted(role.permissions),
    }


def _profile(user: User) -> ProfileOut:
    return ProfileOut.model_validate(
        {
            **user_fields(user),
            "two_factor_enabled": user.two_factor_enabled,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
        }
    )


def _answer(outcome: LoginOutcome) -> LoginOut | ChallengeOut:
    if isinstance(outcome, ChallengeIssued):
        return ChallengeOut(challenge_token=outcome.challenge_token, expires_in=outcome.expires_in)
    return LoginOut.model_validate({**token_fields(outcome.tokens), "user": user_fields(outcome.user)})


def signin_router(surface: str) -> APIRouter:
    """The `/auth` sign-in routes of `surface` (see the module docstring)."""
    router = surface_router(prefix="/auth", tags=["auth"])
    signed_in = Authenticated(surface=surface, kinds={"user"})
    _add_public_routes(router, surface)
    _add_session_routes(router, signed_in)
    _add_two_factor_routes(router, signed_in)
    return router


def _add_public_routes(router: APIRouter, surface: str) -> None:
    @router.post("/login", summary="Sign in (a person)")
    async def login(body: LoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut | ChallengeOut:
        outcome = await flow.password_login(
            session, runtime, surface=surface, email=body.email, password=body.password, tenant=body.tenant
        )
        return _answer(outcome)

    @router.post("/2fa/login", summary="Second step of a sign-in with 2FA")
    async def login_second_factor(
        body: TwoFactorLoginBody, session: SessionDep, runtime: RuntimeDep
    ) -> LoginOut:
        outcome = await flow.second_factor_login(
            session,
            runtime,
            surface=surface,
            challenge_token=body.challenge_token,
            code=body.code,
            backup_code=body.backup_code,
        )
        answer = _answer(outcome)
        assert isinstance(answer, LoginOut)
        return answer

    @router.post("/refresh", summary="Refresh the access token")
    async def refresh(body: RefreshBody, session: SessionDep, runtime: RuntimeDep) -> TokensOut:
        tokens = await flow.refresh_tokens(
            session, runtime, surface=surface, refresh_token=body.refresh_token
        )
        return TokensOut.model_validate(token_fields(tokens))


def _add_session_routes(router: APIRouter, signed_in: Authenticated) -> None:
    @router.post("/logout", status_code=204, summary="Sign out (ends this session)")
    async def logout(session: SessionDep, principal: Principal = Depends(signed_in)) -> Response:
        await flow.logout(session, principal)
        return Response(status_code=204)

    @router.get("/me", summary="The signed-in person")
    async def me(session: SessionDep, principal: Principal = Depends(signed_in)) -> ProfileOut:
        return _profile(await current_user(session, principal))

    @router.post("/change-password", status_code=204, summary="Change my password (ends my other sessions)")
    async def post_change_password(
        body: ChangePasswordBody, session: SessionDep, principal: Principal = Depends(signed_in)
    ) -> Response:
        await flow.change_own_password(
            session, principal, current_password=body.current_password, new_password=body.new_password
        )
        return Response(status_code=204)


def _add_two_factor_routes(router: APIRouter, signed_in: Authenticated) -> None:
    """Enrolment lives here too: a media or tasks account signs in nowhere else, so without it the
    2FA second step above could never be reached."""

    @router.post("/2fa/enable", summary="Start 2FA enrolment")
    async def enable_two_factor(
        session: SessionDep, runtime: RuntimeDep, principal: Principal = Depends(signed_in)
    ) -> EnableOut:
        return EnableOut.model_validate(await flow.begin_two_factor(session, runtime, principal))

    @router.post("/2fa/verify", summary="Activate 2FA with a first code")
    async def verify_two_factor(
        body: CodeBody, session: SessionDep, runtime: RuntimeDep, principal: Principal = Depends(signed_in)
    ) -> TwoFactorStateOut:
        await flow.confirm_two_factor(session, runtime, principal, body.code)
        return TwoFactorStateOut(two_factor_enabled=True)

    @router.post("/2fa/disable", summary="Turn 2FA off")
    async def disable_two_factor(
        body: DisableTwoFactorBody,
        session: SessionDep,
        runtime: RuntimeDep,
        principal: Principal = Depends(signed_in),
    ) -> TwoFactorStateOut:
        await flow.disable_two_factor(
            session, runtime, principal, password=body.password, code=body.code, backup_code=body.backup_code
        )
        return TwoFactorStateOut(two_factor_enabled=False)
