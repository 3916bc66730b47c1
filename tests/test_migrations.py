"""The migrations build exactly the schema the models declare, on the database under test."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from nexo.app import NexoApplication
from nexo.core.db.migrations import head_revisions, include_name, pending_migrations
from nexo.models import Base


def _differences(connection: Connection) -> list[Any]:
    opts = {"compare_type": True, "include_name": include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(app: NexoApplication) -> None:
    async with app.runtime.database.write_engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], f"write a migration for: {differences}"


async def test_database_is_at_the_single_head(app: NexoApplication) -> None:
    current, heads = await pending_migrations(app.runtime.database.write_engine)
    assert current == heads
    assert len(head_revisions()) == 1, "merge migration heads before shipping"
