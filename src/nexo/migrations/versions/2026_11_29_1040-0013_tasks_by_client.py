"""tasks: an index for a client's tasks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 10:40:00

The crm client detail shows the client's latest tasks (`WHERE tenant_id = … AND client_id = …`);
without this index that read scans every task of the tenant.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_tenant_id_client_id", "tasks", ["tenant_id", "client_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tasks_tenant_id_client_id", table_name="tasks")
