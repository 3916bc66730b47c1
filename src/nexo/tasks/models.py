"""Tasks tables: the task, its comments, and the per-tenant change sequence.

`client_id` and `chat_id` link a task to a crm client and chat. They are plain nullable integers for
now: the crm clients and chats tables do not exist yet; the issue that adds them should turn these
into foreign keys (ON DELETE SET NULL) in its migration.

`version` is the tenant's change sequence number of the task's latest change (see `nexo.tasks.feed`):
it only grows, and its order is the order in which changes committed, which is what lets a poller
resume from a cursor without missing or repeating a change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.db.base import Base, Timestamped
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.tenancy import TenantOwned
from nexo.tasks.transitions import PENDING, Priority, Status

TITLE_MAX = 200
TEXT_MAX = 10_000


class Task(TenantOwned, Timestamped, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_tenant_id_version", "tenant_id", "version"),
        Index("ix_tasks_tenant_id_status_due_date", "tenant_id", "status", "due_date"),
        Index("ix_tasks_tenant_id_assigned_to_user_id", "tenant_id", "assigned_to_user_id"),
        Index("ix_tasks_tenant_id_client_id", "tenant_id", "client_id"),  # a crm client's tasks
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[Status] = mapped_column(String(16), default=PENDING)
    priority: Mapped[Priority] = mapped_column(String(8), default="medium")
    assigned_to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_id: Mapped[int | None] = mapped_column(Integer)  # crm client; FK once that table exists
    chat_id: Mapped[int | None] = mapped_column(Integer)  # crm chat; FK once that table exists
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(Text)
    completion_notes: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(BigInteger)


class TaskComment(TenantOwned, Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_type: Mapped[str] = mapped_column(String(16))  # the principal kind: user, oauth_client…
    author_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaskChangeCounter(TenantOwned, Base):
    """One row per tenant: the last change sequence number handed out (see `nexo.tasks.feed`)."""

    __tablename__ = "task_change_counters"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
