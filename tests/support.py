"""Helpers shared by the tests: database kind under test, fresh databases, settings, HTTP clients."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from nexo.core.db.base import Base
from nexo.core.db.session import Database
from nexo.core.settings import Settings

TEST_DATABASE = os.environ.get("NEXO_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("NEXO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

only_sqlite = pytest.mark.skipif(TEST_DATABASE != "sqlite", reason="SQLite-specific behaviour")
only_postgresql = pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="PostgreSQL-specific behaviour")


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_postgres_database() -> str:
    """A new, empty PostgreSQL database; returns its SQLAlchemy URL."""
    name = f"nexo_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def fresh_database_url(directory: Path) -> str:
    """An empty database of the kind under test (not migrated)."""
    if TEST_DATABASE == "postgresql":
        return await create_postgres_database()
    return f"sqlite+aiosqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"


def make_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    """Test settings. Rate limits are off unless a test turns them on: the session-wide app keeps
    its counters for the whole run, and every test client calls from 127.0.0.1."""
    options: dict[str, Any] = {"rate_limits_enabled": False, **overrides}
    return Settings(
        env="test",
        database_url=database_url,
        var_dir=var_dir,
        secret_key="test-secret-key-" + "x" * 40,
        encryption_key="test-encryption-key-" + "y" * 40,
        **options,
    )


async def truncate_all(database: Database) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with database.write_engine.begin() as connection:
        if database.is_sqlite:
            for table in tables:
                await connection.execute(text(f'DELETE FROM "{table}"'))
        else:
            joined = ", ".join(f'"{table}"' for table in tables)
            await connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))


def http_client(app: Any, **kwargs: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs)
