"""Settings: environment, .env, database URL forms, generated secrets, production requirements."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from nexo.core.settings import ConfigurationError, Settings, normalise_database_url


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXO_HOST_CRM", " CRM.Example ")
    monkeypatch.setenv("NEXO_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("NEXO_LOG_LEVEL", "debug")
    monkeypatch.setenv("NEXO_MAX_BODY_BYTES", "4096")
    settings = Settings(var_dir=tmp_path)
    assert settings.surface_hosts() == {"crm.example": "crm"}
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"
    assert settings.max_body_bytes == 4096


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("NEXO_HOST_TASKS=tasks.example\nNEXO_REDIS_URL=redis://127.0.0.1:6379/3\n")
    settings = Settings()
    assert settings.host_tasks == "tasks.example"
    assert settings.redis_url == "redis://127.0.0.1:6379/3"


def test_default_database_is_sqlite_under_var_dir(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'nexo.db'}"
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_database_urls_pick_async_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_missing_secrets_are_generated_once_and_kept_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(var_dir=tmp_path)
    with caplog.at_level(logging.WARNING):
        key = settings.resolved_secret_key()
    assert len(key) >= 48
    assert "NEXO_SECRET_KEY is not set" in caplog.text
    assert key not in caplog.text
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    again = Settings(var_dir=tmp_path)
    assert again.resolved_secret_key() == key
    assert again.resolved_encryption_key() != key


def test_configured_secret_wins(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, secret_key="from-the-environment")
    assert settings.resolved_secret_key() == "from-the-environment"
    assert not (tmp_path / "secrets.json").exists()


def test_production_requires_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="NEXO_SECRET_KEY"):
        Settings(env="production", var_dir=tmp_path)
    ok = Settings(env="production", var_dir=tmp_path, secret_key="a" * 40, encryption_key="b" * 40)
    assert ok.env == "production"
