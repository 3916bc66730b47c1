"""The tasks spec's tasks, over the shared tasks domain.

    GET   /tasks              filters status, assigned_to, priority, due_date_from, due_date_to, page,
                              limit → {data, pagination{page, limit, total, pages}}
                              change feed: updated_since and/or cursor → commit order, next_cursor
    POST  /tasks              create (201)
    GET   /tasks/{task_id}    one task (`task_001` or `task_1`)
    PATCH /tasks/{task_id}    {status, notes, …}
    POST  /tasks/{task_id}/reopen   the explicit way back from completed or cancelled

Reads need the `tasks:read` scope or permission, changes `tasks:write`. List and detail carry an
`ETag`; a request whose `If-None-Match` still matches gets `304 Not Modified` and no body, which is
what makes polling every few minutes cheap. See docs/tasks.md for the polling contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.errors import ErrorDetail, NotFound, OrjsonResponse, ValidationFailed
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import Page, PageParams, decode_cursor, encode_cursor, page_params
from nexo.surfaces.base import surface_router
from nexo.surfaces.tasks.task_schemas import TaskCreate, TaskList, TaskOut, TaskPatch, render_task
from nexo.tasks import service
from nexo.tasks.feed import current_version
from nexo.tasks.ids import TASK_PREFIX, USER_PREFIX, parse_id
from nexo.tasks.models import Task
from nexo.tasks.service import ChangePage, TaskFilters
from nexo.tasks.transitions import Priority, Status

SURFACE = "tasks"
TasksReader = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks:read"}))]
TasksWriter = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks:write"}))]
REPRESENTATION = "tasks-v1"  # change when the rendering changes, so old ETags stop matching
WIRE_FIELDS = {"assigned_to_user_id": "assigned_to"}

router = surface_router(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=TaskList, responses={304: {"description": "Not modified"}})
async def list_tasks(
    request: Request,
    session: SessionDep,
    principal: TasksReader,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Status | None, Query(description="pending, in_progress, completed, cancelled")] = None,
    assigned_to: Annotated[str | None, Query(max_length=32, description="user_123")] = None,
    priority: Annotated[Priority | None, Query(description="low, medium, high, urgent")] = None,
    due_date_from: Annotated[str | None, Query(max_length=40, description="ISO 8601")] = None,
    due_date_to: Annotated[str | None, Query(max_length=40, description="ISO 8601")] = None,
    updated_since: Annotated[str | None, Query(max_length=40, description="ISO 8601; feed")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the last poll")] = None,
) -> Response:
    filters = TaskFilters(
        status=status,
        priority=priority,
        assigned_to_user_id=_user_filter(assigned_to),
        due_date_from=parse_when(due_date_from, "due_date_from"),
        due_date_to=parse_when(due_date_to, "due_date_to", end_of_day=True),
        updated_since=parse_when(updated_since, "updated_since"),
    )
    feed = cursor is not None or updated_since is not None
    after = _cursor_version(cursor)
    if feed and page.page != 1:
        raise ValidationFailed(
            "The change feed is paged by cursor, not by page number.",
            details=[ErrorDetail("page", "leave it out when updated_since or cursor is given")],
        )
    # The change number is read before the tasks, so the ETag can only be older than the body
    # (a needless 200 later), never newer (a wrong 304).
    etag = _etag(
        "list",
        principal.tenant_id,
        await current_version(session),
        sorted(request.query_params.multi_items()),
    )
    if _not_modified(request, etag):
        return _not_modified_response(etag)
    if feed:
        changes = await service.list_changes(session, filters=filters, after_version=after, limit=page.limit)
        body = _feed_body(changes)
    else:
        body = _page_body(await service.list_tasks(session, filters=filters, page=page))
    return OrjsonResponse(body, headers={"ETag": etag})


@router.post("", status_code=201, response_model=TaskOut)
async def create_task(body: TaskCreate, session: SessionDep, principal: TasksWriter) -> Response:
    values = body.model_dump(exclude_unset=True, exclude={"assigned_to"})
    values["priority"] = body.priority
    if "assigned_to" in body.model_fields_set:
        values["assigned_to_user_id"] = _user_ref(body.assigned_to)
    with _wire_names():
        task = await service.create_task(session, actor=principal, values=values)
    return _task_response(task, principal, status_code=201)


@router.get("/{task_id}", response_model=TaskOut, responses={304: {"description": "Not modified"}})
async def get_task(task_id: str, request: Request, session: SessionDep, principal: TasksReader) -> Response:
    task = await service.get_task(session, task_id=_task_id(task_id))
    etag = _task_etag(task, principal)
    if _not_modified(request, etag):
        return _not_modified_response(etag)
    return _task_response(task, principal)


@router.patch("/{task_id}", response_model=TaskOut)
async def update_task(task_id: str, body: TaskPatch, session: SessionDep, principal: TasksWriter) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude={"assigned_to"})
    if "assigned_to" in body.model_fields_set:
        changes["assigned_to_user_id"] = _user_ref(body.assigned_to)
    with _wire_names():
        task = await service.update_task(session, actor=principal, task_id=_task_id(task_id), changes=changes)
    return _task_response(task, principal)


@router.post("/{task_id}/reopen", response_model=TaskOut)
async def reopen_task(task_id: str, session: SessionDep, principal: TasksWriter) -> Response:
    task = await service.reopen_task(session, actor=principal, task_id=_task_id(task_id))
    return _task_response(task, principal)


def _task_id(value: str) -> int:
    number = parse_id(TASK_PREFIX, value)
    if number is None:
        raise NotFound("There is no task with this id.", code="TASK_NOT_FOUND")
    return number


def _user_ref(value: str | None, field: str = "assigned_to") -> int | None:
    if value is None:
        return None
    number = parse_id(USER_PREFIX, value, bare_allowed=True)
    if number is None:
        raise ValidationFailed(
            f"{field}: not a user id.", details=[ErrorDetail(field, "a user id like user_123")]
        )
    return number


def _user_filter(value: str | None) -> int | None:
    return _user_ref(value) if value is not None else None


def parse_when(value: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date-time (UTC when it names no zone) or a date: a date means the start of that
    day, or, for an upper bound, its end, so `due_date_to=2024-01-20` includes the whole 20th."""
    if value is None:
        return None
    try:
        return _moment(value, end_of_day=end_of_day)
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed(
            f"{field}: not an ISO 8601 date or date-time.",
            details=[ErrorDetail(field, "an ISO 8601 date (2024-01-20) or date-time (2024-01-20T14:00:00Z)")],
        ) from exc


def _moment(value: str, *, end_of_day: bool) -> datetime:
    if len(value) == 10:
        start = datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        return start + timedelta(days=1, microseconds=-1) if end_of_day else start
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _cursor_version(cursor: str | None) -> int:
    if cursor is None:
        return 0
    (value,) = decode_cursor(cursor, [Task.version])
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed(
            "The cursor is not valid; use next_cursor from a previous page.",
            details=[ErrorDetail("cursor", "not a cursor this API issued")],
        )
    return value


def _page_body(page: Page[Task]) -> dict[str, Any]:
    return {
        "data": [render_task(task) for task in page.items],
        "pagination": {"page": page.page, "limit": page.limit, "total": page.total, "pages": page.pages},
    }


def _feed_body(changes: ChangePage) -> dict[str, Any]:
    pages = -(-changes.total // changes.limit)
    return {
        "data": [render_task(task) for task in changes.items],
        "pagination": {
            "page": 1,
            "limit": changes.limit,
            "total": changes.total,
            "pages": pages,
            "next_cursor": encode_cursor([changes.last_version]),
        },
    }


def _task_response(task: Task, principal: Principal, *, status_code: int = 200) -> Response:
    return OrjsonResponse(
        render_task(task), status_code=status_code, headers={"ETag": _task_etag(task, principal)}
    )


def _task_etag(task: Task, principal: Principal) -> str:
    return _etag("task", principal.tenant_id, task.id, task.version)


def _etag(*parts: Any) -> str:
    digest = hashlib.sha256(repr((REPRESENTATION, *parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*` or any listed tag, compared weakly (a `W/` prefix is ignored)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _not_modified_response(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag})


@contextmanager
def _wire_names() -> Iterator[None]:
    """Name fields in validation errors as this surface's clients spell them."""
    try:
        yield
    except ValidationFailed as error:
        error.details = [ErrorDetail(WIRE_FIELDS.get(d.field, d.field), d.message) for d in error.details]
        for domain, wire in WIRE_FIELDS.items():
            error.message = error.message.replace(domain, wire)
        raise
