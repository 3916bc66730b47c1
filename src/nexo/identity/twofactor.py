"""TOTP two-factor authentication: enrolment, activation, the second factor at sign-in, and removal.

Enrolment stores a fresh seed encrypted (pending) and ten backup codes as peppered HMACs, and shows
the seed, an otpauth QR code and the codes once. A correct code activates it. From then on a
password alone no longer signs the user in (see `login.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, ValidationFailed
from nexo.core.security.totp import (
    hash_backup_code,
    new_backup_codes,
    new_totp_secret,
    provisioning_uri,
    qr_png_data_uri,
    verify_totp,
)
from nexo.core.settings import Settings
from nexo.identity.keys import backup_code_pepper, totp_box
from nexo.identity.models import BackupCode, User
from nexo.identity.users import verify_password_async

BACKUP_CODE_COUNT = 10


@dataclass(frozen=True, slots=True)
class Enrollment:
    secret: str
    otpauth_uri: str
    qr_code: str  # PNG data URI
    backup_codes: list[str]


def _audit(session: AsyncSession, user: User, action: str) -> None:
    record_audit(
        session,
        actor_type="user",
        actor_id=str(user.id),
        action=action,
        entity_type="User",
        entity_id=user.id,
    )


async def begin_enrollment(session: AsyncSession, *, settings: Settings, user: User) -> Enrollment:
    """A new pending seed and backup codes; calling again before activation replaces both."""
    if user.two_factor_enabled:
        raise Conflict(
            "Two-factor authentication is already on; disable it first.", code="2FA_ALREADY_ENABLED"
        )
    secret = new_totp_secret()
    user.totp_secret_encrypted = totp_box(settings).encrypt(secret)
    user.totp_last_step = None
    codes = await _replace_backup_codes(session, settings, user)
    uri = provisioning_uri(secret, account_name=user.email, issuer=settings.totp_issuer)
    _audit(session, user, "auth.2fa_enrollment_started")
    await session.flush()
    return Enrollment(secret=secret, otpauth_uri=uri, qr_code=qr_png_data_uri(uri), backup_codes=codes)


async def _replace_backup_codes(session: AsyncSession, settings: Settings, user: User) -> list[str]:
    await session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    pepper = backup_code_pepper(settings)
    codes = new_backup_codes(BACKUP_CODE_COUNT)
    session.add_all(
        BackupCode(tenant_id=user.tenant_id, user_id=user.id, code_hash=hash_backup_code(code, pepper=pepper))
        for code in codes
    )
    return codes


async def confirm_enrollment(session: AsyncSession, *, settings: Settings, user: User, code: str) -> None:
    """Activate 2FA once the user proves their authenticator produces the right codes."""
    if user.two_factor_enabled:
        raise Conflict("Two-factor authentication is already on.", code="2FA_ALREADY_ENABLED")
    if user.totp_secret_encrypted is None:
        raise Conflict("Start with POST /auth/2fa/enable to get a secret.", code="2FA_NOT_STARTED")
    step = verify_totp(totp_box(settings).decrypt(user.totp_secret_encrypted), code, last_used_step=None)
    if step is None:
        raise _wrong_code("code")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    _audit(session, user, "auth.2fa_enabled")
    await session.flush()


def _wrong_code(field: str) -> ValidationFailed:
    return ValidationFailed(
        "The code is not valid; use the current code from your authenticator app.",
        code="INVALID_2FA_CODE",
        details=[ErrorDetail(field, "is not valid")],
    )


async def check_second_factor(
    session: AsyncSession, *, settings: Settings, user: User, code: str | None, backup_code: str | None
) -> str | None:
    """Consume a TOTP code or a backup code of an enrolled user; return the method used, or None.

    A TOTP code is refused at or before the last step used, so an observed code cannot be replayed; a
    backup code works once."""
    if code and user.totp_secret_encrypted is not None:
        secret = totp_box(settings).decrypt(user.totp_secret_encrypted)
        step = verify_totp(secret, code, last_used_step=user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return "totp"
    if backup_code:
        digest = hash_backup_code(backup_code, pepper=backup_code_pepper(settings))
        row = await session.scalar(
            select(BackupCode).where(
                BackupCode.user_id == user.id, BackupCode.code_hash == digest, BackupCode.used_at.is_(None)
            )
        )
        if row is not None:
            row.used_at = utcnow()
            return "backup_code"
    return None


async def disable(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
    password: str,
    code: str | None,
    backup_code: str | None,
) -> None:
    """Turn 2FA off; it takes the password and a second factor, so a stolen session alone cannot."""
    if not user.two_factor_enabled:
        raise Conflict("Two-factor authentication is not on.", code="2FA_NOT_ENABLED")
    matches = False
    if user.password_hash is not None:
        matches, _ = await verify_password_async(password, user.password_hash)
    if not matches:
        raise ValidationFailed(
            "The password is not correct.", details=[ErrorDetail("password", "is not correct")]
        )
    if (
        await check_second_factor(session, settings=settings, user=user, code=code, backup_code=backup_code)
        is None
    ):
        raise _wrong_code("code")
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    await session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    _audit(session, user, "auth.2fa_disabled")
    await session.flush()


async def remaining_backup_codes(session: AsyncSession, *, user: User) -> int:
    rows = await session.scalars(
        select(BackupCode.id).where(BackupCode.user_id == user.id, BackupCode.used_at.is_(None))
    )
    return len(list(rows))
