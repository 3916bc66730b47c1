"""Applying and checking the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


# Tables the migrations create that no model declares: SQLite's FTS5 index of crm clients (its
# virtual table and shadow tables) is maintained by triggers, not by the ORM.
UNMODELLED_TABLE_PREFIXES = ("crm_clients_fts",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter: leave unmodelled tables out of autogenerate comparisons."""
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_TABLE_PREFIXES))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration. Runs its own event loop: call it from sync code or a thread."""
    command.upgrade(alembic_config(database_url), "heads")


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def pending_migrations(engine: AsyncEngine) -> tuple[set[str], set[str]]:
    """(revisions the database is at, revisions the code expects). Equal sets mean up to date."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_revisions)
    return current, head_revisions()
