"""Sending e-mail through an SMTP relay (aiosmtplib).

`SmtpSender.send` either returns (the relay accepted the message for every recipient) or raises
`SmtpFailure`, whose `permanent` flag says whether trying again can help: a 5xx reply (unknown
mailbox, refused sender) will not change; a 4xx reply, a refused connection or a timeout may.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from nexo.core.settings import Settings


class SmtpFailure(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # none | starttls | tls
    timeout: float
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            security=settings.smtp_security,
            timeout=settings.smtp_timeout_seconds,
            sender=settings.smtp_from,
        )


class SmtpSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> None:
        config = self.config
        if "From" not in message:
            message["From"] = config.sender
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise SmtpFailure(
                f"recipients refused: {exc}", permanent=all(code >= 500 for code in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SmtpFailure(f"{exc.code} {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SmtpFailure(f"{type(exc).__name__}: {exc}", permanent=False) from exc
