"""Wire shapes of the collections auth, organization and user routes (camelCase, UUID ids)."""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, Field, model_validator

from nexo.core.http.schemas import CamelStrictBody, CamelWireModel
from nexo.identity.login import ChallengeIssued, LoginOutcome
from nexo.identity.models import User
from nexo.tenants.models import Tenant

Password = Field(min_length=1, max_length=1024)


class OrganizationIn(CamelStrictBody):
    nombre: str = Field(min_length=1, max_length=200)
    rfc: str | None = Field(default=None, max_length=13)


class RegisterBody(CamelStrictBody):
    email: EmailStr
    password: str = Password
    nombre: str = Field(min_length=1, max_length=200)
    organizacion: OrganizationIn


class LoginBody(CamelStrictBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Password
    tenant: str | None = Field(default=None, max_length=64, description="Organization slug or id, if needed.")


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
    current_password: str = Password
    new_password: str = Password


class AcceptInvitationBody(CamelStrictBody):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class InviteBody(CamelStrictBody):
    email: EmailStr
    nombre: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=64)


class OAuthBody(CamelStrictBody):
    code: str = Field(min_length=1, max_length=4096)
    redirect_uri: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    tenant: str | None = Field(default=None, max_length=64, description="Organization slug or id, if needed.")


class AuthorizationUrlOut(CamelWireModel):
    authorization_url: str
    state: str


class SettingsIn(CamelStrictBody):
    timezone: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    email_domain: str | None = Field(default=None, max_length=253, pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")


class OrganizationPatch(CamelStrictBody):
    nombre: str | None = Field(default=None, min_length=1, max_length=200)
    rfc: str | None = Field(default=None, max_length=13)
    settings: SettingsIn | None = None


class UserOut(CamelWireModel):
    id: str
    email: str
    nombre: str
    role: str
    organization_id: str


class TokensOut(CamelWireModel):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginOut(CamelWireModel):
    user: UserOut
    tokens: TokensOut


class ChallengeOut(CamelWireModel):
    two_factor_required: bool = True
    challenge_token: str
    expires_in: int


class OrganizationRef(CamelWireModel):
    id: str
    nombre: str


class RegisterOut(CamelWireModel):
    user: UserOut
    organization: OrganizationRef
    tokens: TokensOut


class MeOrganization(OrganizationRef):
    plan: str


class MeOut(CamelWireModel):
    id: str
    email: str
    nombre: str
    role: str
    organization: MeOrganization
    permissions: list[str]


class OrganizationSettingsOut(CamelWireModel):
    timezone: str
    currency: str
    email_domain: str | None


class OrganizationStatsOut(CamelWireModel):
    users_count: int
    connectors_count: int
    last_sync_at: datetime | None


class OrganizationOut(CamelWireModel):
    id: str
    nombre: str
    rfc: str | None
    plan: str
    created_at: datetime
    settings: OrganizationSettingsOut
    stats: OrganizationStatsOut


class PersonOut(CamelWireModel):
    id: str
    email: str
    nombre: str
    role: str
    status: str
    last_login: datetime | None
    created_at: datetime


class PageMeta(CamelWireModel):
    page: int
    limit: int
    total: int
    total_pages: int


class PeopleOut(CamelWireModel):
    data: list[PersonOut]
    meta: PageMeta


class InvitationOut(CamelWireModel):
    id: str
    email: str
    status: str
    invited_by: str
    expires_at: datetime
    invitation_token: str = Field(description="Shown once; deliver it to the invitee (accept endpoint).")


def user_out(user: User, tenant: Tenant) -> UserOut:
    return UserOut(
        id=str(user.public_id),
        email=user.email,
        nombre=user.full_name,
        role=user.role.name,
        organization_id=str(tenant.public_id),
    )


def login_out(outcome: LoginOutcome, tenant: Tenant) -> LoginOut | ChallengeOut:
    """§2.2: `{user, tokens}`; for an account with 2FA, the challenge to finish with instead."""
    if isinstance(outcome, ChallengeIssued):
        return ChallengeOut(challenge_token=outcome.challenge_token, expires_in=outcome.expires_in)
    tokens = outcome.tokens
    return LoginOut(
        user=user_out(outcome.user, tenant),
        tokens=TokensOut(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
        ),
    )
