"""The identity-service calls every surface's `/auth` router makes, independent of wire shape.

crm, media and tasks answer in snake_case (`signin.py`), collections and platform in camelCase,
and each renders the signed-in user its own way; the calls behind login, the 2FA second step,
refresh, logout, password change and 2FA enrolment are the same and live here. The rules stay
in `nexo.identity`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.runtime import Runtime
from nexo.identity import sessions, twofactor
from nexo.identity.login import LoginOutcome, SignedIn, complete_two_factor_login, login_with_password
from nexo.identity.sessions import IssuedTokens
from nexo.identity.users import change_password, current_user


async def password_login(
    session: AsyncSession,
    runtime: Runtime,
    *,
    surface: str,
    email: str,
    password: str,
    tenant: str | None = None,
) -> LoginOutcome:
    """Tokens, or a 2FA challenge when the account has 2FA on."""
    return await login_with_password(
        session,
        database=runtime.database,
        settings=runtime.settings,
        email=email,
        password=password,
        surface=surface,
        tenant=tenant,
    )


async def second_factor_login(
    session: AsyncSession,
    runtime: Runtime,
    *,
    surface: str,
    challenge_token: str,
    code: str | None,
    backup_code: str | None,
) -> SignedIn:
    return await complete_two_factor_login(
        session,
        database=runtime.database,
        settings=runtime.settings,
        challenge_token=challenge_token,
        code=code,
        backup_code=backup_code,
        surface=surface,
    )


async def refresh_tokens(
    session: AsyncSession, runtime: Runtime, *, surface: str, refresh_token: str
) -> IssuedTokens:
    _, tokens = await sessions.refresh_session(
        session,
        database=runtime.database,
        settings=runtime.settings,
        refresh_token=refresh_token,
        surface=surface,
    )
    return tokens


def token_fields(tokens: IssuedTokens) -> dict[str, Any]:
    """The token triple every surface answers with (snake_case; camel models alias it)."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.expires_in,
    }


async def logout(session: AsyncSession, principal: Principal) -> None:
    """End the session the principal's access token belongs to."""
    assert principal.session_id is not None
    await sessions.logout(session, user_id=int(principal.id), session_id=principal.session_id)


async def change_own_password(
    session: AsyncSession, principal: Principal, *, current_password: str, new_password: str
) -> None:
    """Change the signed-in person's password; their other sessions end, this one stays."""
    await change_password(
        session,
        user=await current_user(session, principal),
        current_password=current_password,
        new_password=new_password,
        keep_session_id=principal.session_id,
    )


async def begin_two_factor(session: AsyncSession, runtime: Runtime, principal: Principal) -> dict[str, Any]:
    """The enrolment's secret, QR code and backup codes (shown once)."""
    user = await current_user(session, principal)
    enrollment = await twofactor.begin_enrollment(session, settings=runtime.settings, user=user)
    return {
        "secret": enrollment.secret,
        "qr_code": enrollment.qr_code,
        "backup_codes": enrollment.backup_codes,
    }


async def confirm_two_factor(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str
) -> None:
    user = await current_user(session, principal)
    await twofactor.confirm_enrollment(session, settings=runtime.settings, user=user, code=code)


async def disable_two_factor(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    *,
    password: str,
    code: str | None,
    backup_code: str | None,
) -> None:
    user = await current_user(session, principal)
    await twofactor.disable(
        session,
        settings=runtime.settings,
        user=user,
        password=password,
        code=code,
        backup_code=backup_code,
    )
