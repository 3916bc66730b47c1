"""Engines and sessions.

PostgreSQL gets one pooled engine. SQLite gets two: a single-connection writer whose transactions
begin IMMEDIATE (so concurrent writers queue on one lock instead of failing with "database is
locked"), and a pool of read-only readers for GET requests, which WAL lets run beside the writer.
A write attempted through a reader fails loudly on SQLite, so a GET that writes is caught in tests.

On PostgreSQL, GET sessions run in autocommit: under READ COMMITTED every statement takes its own
snapshot anyway, so a read-only transaction buys nothing but a BEGIN and a COMMIT round trip. No
pre-ping either (it costs three round trips per checkout with asyncpg): a connection found dead
invalidates the pool, and that request answers 503 with `Retry-After` (see `nexo.core.errors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from nexo.core.tenancy import scope_to_tenant

SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_RECYCLE_SECONDS = 1800  # reopen connections older than this (idle-killing proxies, failovers)


def masked_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_engine(url: str, *, pool_size: int, writer: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=1 if writer else pool_size,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN can be IMMEDIATE (see `_on_begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "synchronous=NORMAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


class Database:
    """The process's engines and session factories."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, pool_size=pool_size, writer=True)
            self.read_engine = _sqlite_engine(url, pool_size=pool_size, writer=False)
        else:
            self.write_engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_SECONDS
            )
            self.read_engine = self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, *, write: bool = True) -> AsyncSession:
        return (self._writer if write else self._reader)()

    @asynccontextmanager
    async def transaction(
        self, *, tenant_id: int | None = None, write: bool = True
    ) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block succeeds and rolls back when it raises. For code
        outside a request: CLI commands, workers, detached audit records."""
        async with self.session(write=write) as session:
            if tenant_id is not None:
                scope_to_tenant(session, tenant_id)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.is_sqlite:  # on PostgreSQL the reader is the writer's pool with other options
            await self.read_engine.dispose()
