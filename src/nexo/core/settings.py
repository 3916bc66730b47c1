"""Runtime configuration, read from `NEXO_*` environment variables and an optional `.env` file.

Secrets that are not configured are generated once and kept in `<var_dir>/secrets.json`, so a
development instance survives restarts without anyone having to invent keys. Production mode refuses
to start without them: a generated key on a server would silently change when the disk is replaced.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

SURFACE_NAMES = ("media", "crm", "collections", "tasks", "platform")
SECRETS_FILE = "secrets.json"


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says which setting to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEXO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None

    host_media: str | None = None
    host_crm: str | None = None
    host_collections: str | None = None
    host_tasks: str | None = None
    host_platform: str | None = None

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Rate limits (nexo.core.ratelimit, docs/rate-limits.md); counters live in Redis when redis_url is set.
    rate_limits_enabled: bool = True  # false turns every limit off (benchmarks, trusted private networks)
    rate_limit_overrides: dict[str, str] = Field(default_factory=dict)  # JSON {"surface.rule": "N/period"}
    rate_limit_key_prefix: str = Field(default="nexo:ratelimit", min_length=1)  # Redis key namespace
    # Machine credentials (nexo.credentials): token lifetimes and the API-key last-use throttle.
    oauth_access_token_ttl_seconds: int = Field(default=3600, ge=60)  # OAuth client access tokens (JWT)
    oauth_refresh_token_ttl_seconds: int = Field(default=30 * 86400, ge=3600)  # tasks refresh tokens
    connector_access_token_ttl_seconds: int = Field(default=86400, ge=60)  # connector JWTs (spec: 86400)
    connector_refresh_token_ttl_seconds: int = Field(default=90 * 86400, ge=3600)  # idle connector re-link
    connector_sync_interval_minutes: int = Field(default=15, ge=1)  # syncConfig sent at registration
    api_key_touch_interval_seconds: int = Field(default=60, ge=0)  # min gap between last_used_at writes
    # Receivables (nexo.receivables, docs/collections.md): connector liveness and dunning e-mail.
    connector_heartbeat_interval_seconds: int = Field(default=60, ge=5)  # offline after 3 missed beats
    sync_max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)  # POST /sync/cartera body limit
    smtp_host: str = "127.0.0.1"  # relay the dunning e-mails go through
    smtp_port: int = Field(default=25, ge=1, le=65535)  # 587 with STARTTLS, 465 with implicit TLS
    smtp_username: str | None = None  # SMTP AUTH user (None: no AUTH)
    smtp_password: SecretStr | None = None  # SMTP AUTH password
    smtp_security: Literal["none", "starttls", "tls"] = "none"  # none | starttls | tls (implicit)
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)  # per SMTP conversation
    smtp_from: str = "cobranza@localhost"  # From: address of dunning e-mails

    # People's sign-in (nexo.identity): access-token lifetime per surface (seconds), refresh and 2FA.
    access_token_ttl_crm: int = Field(default=3600, ge=60)  # crm spec: expires_in 3600
    access_token_ttl_collections: int = Field(default=900, ge=60)  # collections spec: expiresIn 900
    access_token_ttl_platform: int = Field(default=900, ge=60)  # the owner's panel: short, as collections
    access_token_ttl_tasks: int = Field(default=3600, ge=60)  # user tokens on tasks (OAuth consent)
    access_token_ttl_media: int = Field(default=3600, ge=60)  # user tokens on media
    refresh_token_ttl_seconds: int = Field(default=30 * 86400, ge=3600)  # idle sign-in lifetime
    login_challenge_ttl_seconds: int = Field(default=300, ge=30)  # 2FA second step window
    invitation_ttl_seconds: int = Field(default=7 * 86400, ge=3600)  # collections invitations (spec: 7 d)
    totp_issuer: str = "Nexo"  # issuer shown by authenticator apps
    # Sign-in with Google / Microsoft (collections §2.3): OpenID Connect authorization-code exchange.
    oauth_google_client_id: str | None = None
    oauth_google_client_secret: SecretStr | None = None
    oauth_google_authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    oauth_google_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    oauth_google_userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    oauth_microsoft_client_id: str | None = None
    oauth_microsoft_client_secret: SecretStr | None = None
    oauth_microsoft_authorize_url: str = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    oauth_microsoft_token_url: str = "https://login.microsoftonline.com/common/oauth2/v2.0/token"  # noqa: S105 - a URL, not a secret
    oauth_microsoft_userinfo_url: str = "https://graph.microsoft.com/oidc/userinfo"
    # CRM directory (nexo.crm, docs/crm.md): phones, CSV imports, WhatsApp providers.
    crm_default_phone_region: str = Field(default="CO", min_length=2, max_length=2)  # for numbers without +
    crm_import_inline_max_bytes: int = Field(default=512 * 1024, ge=0)  # larger CSV imports run as a job
    crm_import_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)  # CSV import upload cap (413 over)
    public_base_url: str = "http://localhost:8000"  # how providers reach us (webhook_url of numbers)
    whatsapp_meta_graph_url: str = "https://graph.facebook.com/v25.0"  # WhatsApp Cloud API base
    whatsapp_http_timeout_seconds: float = Field(default=10.0, gt=0)  # each provider HTTP call
    # Durable jobs and workers (nexo.core.jobs, docs/webhooks.md).
    workers_in_process: bool = True  # `nexo serve` runs a job worker in each server process
    worker_concurrency: int = Field(default=16, ge=1, le=512)  # jobs one worker process runs at once
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=60)  # idle poll without LISTEN/NOTIFY
    job_lease_seconds: float = Field(default=60.0, ge=1)  # a crashed worker's jobs return after this
    # Outgoing webhooks (nexo.webhooks): None = allowed outside production (development, test, demo).
    webhook_allow_private: bool | None = None  # deliver to loopback / RFC 1918 addresses too
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)  # per delivery attempt

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("host_media", "host_crm", "host_collections", "host_tasks", "host_platform")
    @classmethod
    def _normalise_host(cls, value: str | None) -> str | None:
        return value.strip().lower() or None if value else None

    @model_validator(mode="after")
    def _defaults_and_checks(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'nexo.db'}"
        self.database_url = normalise_database_url(self.database_url)
        if self.env == "production" and (self.secret_key is None or self.encryption_key is None):
            raise ConfigurationError(
                "NEXO_SECRET_KEY and NEXO_ENCRYPTION_KEY are required when NEXO_ENV=production"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def surface_hosts(self) -> dict[str, str]:
        """Host name → surface name, for the surfaces bound to a host of their own."""
        hosts = {name: getattr(self, f"host_{name}") for name in SURFACE_NAMES}
        return {host: name for name, host in hosts.items() if host}

    def resolved_secret_key(self) -> str:
        return _configured_or_persisted(self, "secret_key")

    def resolved_encryption_key(self) -> str:
        return _configured_or_persisted(self, "encryption_key")

    def webhooks_may_reach_private(self) -> bool:
        """Whether deliveries may go to loopback and private networks (never to metadata/link-local)."""
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.env != "production"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people write (`postgresql://`, `sqlite:///`) and pick the async drivers."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _configured_or_persisted(settings: Settings, name: Literal["secret_key", "encryption_key"]) -> str:
    configured: SecretStr | None = getattr(settings, name)
    if configured is not None:
        return configured.get_secret_value()
    path = settings.var_dir / SECRETS_FILE
    stored = _read_secrets(path)
    if name not in stored:
        stored[name] = secrets.token_urlsafe(48)
        _write_secrets(path, stored)
        log.warning("NEXO_%s is not set; generated one and stored it in %s", name.upper(), path.resolve())
    return stored[name]


def _read_secrets(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(key): str(value) for key, value in data.items()}


def _write_secrets(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # Created 0600 from the start: the file holds every key the instance signs and encrypts with.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
    temporary.replace(path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
