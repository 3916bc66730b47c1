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
        log.warning(
            "NEXO_%s is not set; generated one and stored it in %s", name.upper(), path.resolve()
        )
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
