"""crm §8 task shapes: snake_case, integer ids, the body fields of §8.2 as the wire names."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from nexo.core.http.schemas import StrictBody, WireModel
from nexo.tasks.models import TEXT_MAX, TITLE_MAX
from nexo.tasks.transitions import Priority, Status

MAX_INT_ID = 2**31 - 1
IntId = Field(default=None, gt=0, le=MAX_INT_ID)


class CrmTaskOut(WireModel):
    id: int
    client_id: int | None
    chat_id: int | None
    assigned_to_user_id: int | None
    created_by_user_id: int | None
    title: str
    description: str | None
    status: Status
    priority: Priority
    due_date: datetime | None
    reminder_date: datetime | None
    notes: str | None
    completion_notes: str | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CommentAuthor(WireModel):
    id: int
    first_name: str
    last_name: str


class CrmCommentOut(WireModel):
    id: int
    task_id: int
    user: CommentAuthor | None
    content: str
    created_at: datetime


class CrmTaskDetail(CrmTaskOut):
    comments: list[CrmCommentOut]


class CrmMeta(WireModel):
    current_page: int
    per_page: int
    total: int
    total_pages: int


class CrmTaskList(WireModel):
    data: list[CrmTaskOut]
    meta: CrmMeta


class CrmTaskCreate(StrictBody):
    client_id: int | None = IntId
    chat_id: int | None = IntId
    assigned_to_user_id: int | None = IntId
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    due_date: AwareDatetime | None = None
    reminder_date: AwareDatetime | None = None
    priority: Priority = "medium"
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class CrmTaskUpdate(StrictBody):
    """§8.3: the fields sent are changed, the others kept (as the spec's other PUTs show)."""

    client_id: int | None = IntId
    chat_id: int | None = IntId
    assigned_to_user_id: int | None = IntId
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    due_date: AwareDatetime | None = None
    reminder_date: AwareDatetime | None = None
    priority: Priority | None = None
    status: Status | None = None
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


class CompleteBody(StrictBody):
    completion_notes: str | None = Field(default=None, max_length=TEXT_MAX)


class CommentBody(StrictBody):
    content: str = Field(min_length=1, max_length=TEXT_MAX)
