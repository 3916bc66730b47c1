"""What a running Nexo process holds: its settings and its database."""

from __future__ import annotations

from dataclasses import dataclass

from nexo.core.db.session import Database
from nexo.core.settings import Settings


@dataclass(slots=True)
class Runtime:
    settings: Settings
    database: Database

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings, database=Database(settings.database_url, pool_size=settings.db_pool_size)
        )

    async def close(self) -> None:
        await self.database.dispose()
