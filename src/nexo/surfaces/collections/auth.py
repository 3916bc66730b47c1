"""collections §2 (authentication), in the spec's camelCase shapes with UUID ids.

Beyond the spec: `POST /auth/2fa/login` finishes the sign-in of an account with 2FA (login then
answers `{"twoFactorRequired": true, "challengeToken", "expiresIn"}`), and
`POST /auth/invitations/accept` lets an invited person (§9.2) set a password and sign in.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.identity import oidc
from nexo.identity.invitations import accept_invitation
from nexo.identity.login import SignedIn, login_with_provider
from nexo.identity.organizations import get_organization, register_organization, split_name
from nexo.identity.users import current_user
from nexo.surfaces import signin_flow as flow
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.schemas import (
    AcceptInvitationBody,
    AuthorizationUrlOut,
    ChallengeOut,
    ChangePasswordBody,
    LoginBody,
    LoginOut,
    MeOrganization,
    MeOut,
    OAuthBody,
    OrganizationRef,
    RefreshBody,
    RegisterBody,
    RegisterOut,
    TokensOut,
    TwoFactorLoginBody,
    login_out,
)

SURFACE = "collections"
CollectionsUser = Annotated[Principal, Depends(Authenticated(surface=SURFACE, kinds={"user"}))]

ProviderName = Literal["google", "microsoft"]

router = surface_router(prefix="/auth", tags=["auth"])


async def _signed_in(session: SessionDep, outcome: SignedIn) -> LoginOut:
    assert outcome.user.tenant_id is not None
    answer = login_out(outcome, await get_organization(session, outcome.user.tenant_id))
    assert isinstance(answer, LoginOut)
    return answer


@router.post("/register", status_code=201, summary="Register (§2.1)")
async def register(body: RegisterBody, session: SessionDep, runtime: RuntimeDep) -> RegisterOut:
    first_name, last_name = split_name(body.nombre)
    tenant, outcome = await register_organization(
        session,
        settings=runtime.settings,
        email=body.email,
        password=body.password,
        first_name=first_name,
        last_name=last_name,
        organization_name=body.organizacion.nombre,
        rfc=body.organizacion.rfc,
        surface=SURFACE,
    )
    answer = login_out(outcome, tenant)
    assert isinstance(answer, LoginOut)
    return RegisterOut(
        user=answer.user,
        organization=OrganizationRef(id=str(tenant.public_id), nombre=tenant.name),
        tokens=answer.tokens,
    )


@router.post("/login", summary="Login (§2.2)")
async def login(body: LoginBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut | ChallengeOut:
    outcome = await flow.password_login(
        session, runtime, surface=SURFACE, email=body.email, password=body.password, tenant=body.tenant
    )
    if isinstance(outcome, SignedIn):
        return await _signed_in(session, outcome)
    assert outcome.user.tenant_id is not None
    return login_out(outcome, await get_organization(session, outcome.user.tenant_id))


@router.post("/oauth/{provider}", summary="OAuth with Google or Microsoft (§2.3)")
async def oauth_login(
    provider: ProviderName, body: OAuthBody, session: SessionDep, runtime: RuntimeDep
) -> LoginOut | ChallengeOut:
    config = oidc.provider(runtime.settings, provider)
    profile = await oidc.exchange_code(config, code=body.code, redirect_uri=body.redirect_uri)
    outcome = await login_with_provider(
        session,
        database=runtime.database,
        settings=runtime.settings,
        profile=profile,
        surface=SURFACE,
        tenant=body.tenant,
    )
    assert outcome.user.tenant_id is not None
    return login_out(outcome, await get_organization(session, outcome.user.tenant_id))


@router.get("/oauth/{provider}/authorize", summary="Where to send the browser for §2.3")
async def oauth_authorize(
    provider: ProviderName,
    runtime: RuntimeDep,
    redirect_uri: Annotated[str, Query(alias="redirectUri", max_length=2000, pattern=r"^https?://")],
) -> AuthorizationUrlOut:
    url, state = oidc.authorization_url(oidc.provider(runtime.settings, provider), redirect_uri=redirect_uri)
    return AuthorizationUrlOut(authorization_url=url, state=state)


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
    return await _signed_in(session, outcome)


@router.post("/refresh", summary="Refresh token (§2.4)")
async def refresh(body: RefreshBody, session: SessionDep, runtime: RuntimeDep) -> TokensOut:
    tokens = await flow.refresh_tokens(session, runtime, surface=SURFACE, refresh_token=body.refresh_token)
    return TokensOut.model_validate(flow.token_fields(tokens))


@router.post("/logout", status_code=204, summary="Logout (§2.5)")
async def logout(principal: CollectionsUser, session: SessionDep) -> Response:
    await flow.logout(session, principal)
    return Response(status_code=204)


@router.post("/change-password", status_code=204, summary="Change my password (ends my other sessions)")
async def post_change_password(
    body: ChangePasswordBody, principal: CollectionsUser, session: SessionDep
) -> Response:
    await flow.change_own_password(
        session, principal, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=204)


@router.get("/me", summary="Current user (§2.6)")
async def me(principal: CollectionsUser, session: SessionDep) -> MeOut:
    user = await current_user(session, principal)
    assert user.tenant_id is not None
    tenant = await get_organization(session, user.tenant_id)
    return MeOut(
        id=str(user.public_id),
        email=user.email,
        nombre=user.full_name,
        role=user.role.name,
        organization=MeOrganization(id=str(tenant.public_id), nombre=tenant.name, plan=tenant.plan),
        permissions=sorted(principal.permissions),
    )


@router.post("/invitations/accept", summary="Accept an invitation (§9.2) and set a password")
async def accept(body: AcceptInvitationBody, session: SessionDep, runtime: RuntimeDep) -> LoginOut:
    outcome = await accept_invitation(
        session, settings=runtime.settings, token=body.token, password=body.password, surface=SURFACE
    )
    return await _signed_in(session, outcome)
