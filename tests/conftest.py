"""Test fixtures: a real database built by the migrations, on SQLite or PostgreSQL.

`NEXO_TEST_DATABASE` picks the database (`sqlite`, the default, or `postgresql`); `make test` runs the
suite once with each. PostgreSQL tests get a database of their own, created for the session and
dropped afterwards, so runs never see each other's rows. Tests commit for real (the session
lifecycle is part of what they check); `clean_database` empties every table after each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from nexo.app import NexoApplication, create_app
from nexo.core.db.migrations import upgrade_to_head
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from tests.support import (
    TEST_DATABASE,
    drop_postgres_database,
    fresh_database_url,
    http_client,
    make_settings,
    truncate_all,
)

# Session fixtures, once built, for the per-test cleanup (which must not build them itself).
_SESSION: dict[str, object] = {"database_url": None, "app": None}


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    url = await fresh_database_url(tmp_path_factory.mktemp("db"))
    await asyncio.to_thread(upgrade_to_head, url)
    _SESSION["database_url"] = url
    yield url
    if TEST_DATABASE == "postgresql":
        await drop_postgres_database(url)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[NexoApplication]:
    application = create_app(settings)
    _SESSION["app"] = application
    yield application
    await application.runtime.close()


@pytest.fixture
def database(app: NexoApplication, clean_database: None) -> Database:
    return app.runtime.database


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after each test that touched the test database, directly or through a
    live server process, so no test sees another's rows."""
    yield
    if "database_url" not in request.fixturenames or not _SESSION["database_url"]:
        return
    application = _SESSION["app"]
    if isinstance(application, NexoApplication):
        await truncate_all(application.runtime.database)
        return
    scratch = Database(str(_SESSION["database_url"]), pool_size=1)
    try:
        await truncate_all(scratch)
    finally:
        await scratch.dispose()


@pytest.fixture
async def client(app: NexoApplication, clean_database: None) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        yield http


@pytest.fixture
async def make_app(settings: Settings, clean_database: None) -> AsyncIterator[Callable[..., NexoApplication]]:
    """Build an app with extra routers or settings; closed at the end of the test."""
    built: list[NexoApplication] = []

    def build(
        extra_routers: Mapping[str, Sequence[APIRouter]] | None = None, **overrides: Any
    ) -> NexoApplication:
        app_settings = settings.model_copy(update=overrides) if overrides else settings
        application = create_app(app_settings, extra_routers=extra_routers)
        built.append(application)
        return application

    yield build
    for application in built:
        await application.runtime.close()
