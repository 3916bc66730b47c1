"""crm client search: the trigram index led by the tenant

The GIN trigram index on `crm_clients.search_text` becomes a GIN index on `(tenant_id, search_text)`
(`tenant_id` through the btree_gin extension, `search_text` with `gin_trgm_ops`). One index scan then
yields exactly one tenant's matches: the old index also returned every other tenant's matching rows,
each read from the heap to be filtered out, and the generic plans PostgreSQL uses for prepared
statements combined it with the tenant's btree index in a BitmapAnd that costs a scan of the whole
tenant's index entries on every search (docs/crm.md, bench/crm_search.py).

On SQLite the index stays what it was, empty (partial on `WHERE 0`): the FTS5 table serves search.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:01:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "ix_crm_clients_search_text_trgm"
NEW = "ix_crm_clients_tenant_id_search_text_trgm"
TRIGRAMS: dict[str, Any] = {"postgresql_using": "gin", "postgresql_ops": {"search_text": "gin_trgm_ops"}}


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.create_index(NEW, "crm_clients", ["tenant_id", "search_text"], sqlite_where=sa.text("0"), **TRIGRAMS)
    op.drop_index(OLD, table_name="crm_clients", sqlite_where=sa.text("0"), **TRIGRAMS)


def downgrade() -> None:
    op.create_index(OLD, "crm_clients", ["search_text"], sqlite_where=sa.text("0"), **TRIGRAMS)
    op.drop_index(NEW, table_name="crm_clients", sqlite_where=sa.text("0"), **TRIGRAMS)
