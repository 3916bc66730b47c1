"""merge the branches built in parallel (events, tasks, media, crm, idempotency, receivables)

Revision ID: 0010
Revises: 0004, 0005, 0006, 0007, 0008, 0009
Create Date: 2026-11-29 08:00:00

The first surfaces were built side by side, each migration branching from the schema it needed;
this revision joins them so the history has one head again. It changes nothing by itself.
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006", "0007", "0008", "0009")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
