"""LISTEN on PostgreSQL so that idle workers wake the moment work is committed.

The listener has a dedicated asyncpg connection (a pooled SQLAlchemy connection would be handed to
other code between notifications). If it drops, the worker notices (`alive` is False), polls at the
short interval meanwhile, and reconnects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from nexo.core.jobs.wakeup import CHANNEL

log = logging.getLogger(__name__)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """`postgresql+asyncpg://…` → the `postgresql://…` DSN asyncpg itself accepts."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgListener:
    def __init__(self, sqlalchemy_url: str, on_notify: Callable[[], None]) -> None:
        self._dsn = asyncpg_dsn(sqlalchemy_url)
        self._on_notify = on_notify
        self._connection: asyncpg.Connection | None = None

    @property
    def alive(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def connect(self) -> bool:
        """(Re)connect and LISTEN; False, logged, if the database cannot be reached now."""
        await self.close()
        try:
            connection = await asyncpg.connect(self._dsn, timeout=10)
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("cannot LISTEN for jobs (%s); polling until it works", exc)
            return False
        self._connection = connection
        return True

    def _notified(self, *_args: Any) -> None:
        self._on_notify()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                connection.terminate()
