"""crm §7 client shapes: snake_case, integer ids, the spec's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexo.core.http.schemas import StrictBody, WireModel

LeadStatus = Literal["new", "contacted", "qualified", "converted", "lost"]
CustomValue = str | int | float | bool | None


class ClientFields(StrictBody):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    lead_status: LeadStatus | None = None
    lead_score: int | None = Field(default=None, ge=0, le=100)
    segment: str | None = Field(default=None, max_length=50)
    custom_fields: dict[str, CustomValue] | None = Field(default=None, max_length=50)
    tags: list[str] | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10_000)
    is_blocked: bool | None = None
    opt_in: bool | None = None


class ClientCreate(ClientFields):
    phone_number: str = Field(min_length=1, max_length=40, description="E.164, or national format")


class ClientUpdate(ClientFields):
    phone_number: str | None = Field(default=None, min_length=1, max_length=40)


class TagBody(StrictBody):
    tag: str = Field(min_length=1, max_length=50)


class ClientOut(WireModel):
    id: int
    phone_number: str
    first_name: str
    last_name: str
    email: str | None
    company: str | None
    city: str | None
    country: str | None
    lead_status: str
    lead_score: int
    segment: str | None
    tags: list[str]
    total_chats: int
    last_contact_at: datetime | None
    created_at: datetime


class ClientChat(WireModel):
    id: int
    status: str
    created_at: datetime


class ClientTask(WireModel):
    id: int
    title: str
    due_date: datetime | None
    status: str


class ClientDetail(ClientOut):
    address: str | None
    ltv: int | float
    total_purchases: int
    last_purchase_at: datetime | None
    custom_fields: dict[str, Any]
    notes: str | None
    is_blocked: bool
    opt_in: bool
    chats: list[ClientChat]
    tasks: list[ClientTask]
    updated_at: datetime


class ClientList(WireModel):
    data: list[ClientOut]
    meta: dict[str, int]


class TagsOut(WireModel):
    id: int
    tags: list[str]


class ImportError_(WireModel):
    row: int
    field: str
    error: str


class ImportResult(WireModel):
    """§7.8's answer. `skipped` counts every row not written: duplicates plus rows in `errors`."""

    imported: int
    updated: int
    skipped: int
    duplicates: int
    errors: list[ImportError_]
    errors_total: int
    dry_run: bool


class ImportStatus(ImportResult):
    """A large import running as a job: its progress so far."""

    id: int
    status: str
    total_rows: int
    rows_processed: int
    filename: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
