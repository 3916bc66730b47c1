"""crm §8 (tasks), over the shared tasks domain.

    GET  /tasks                   assigned_to_user_id, status, priority, page, limit → {data, meta}
    POST /tasks                   §8.2 (201)
    GET  /tasks/:id               one task with its comments
    PUT  /tasks/:id               §8.3: the fields sent are changed
    POST /tasks/:id/complete      §8.4 {completion_notes}
    POST /tasks/:id/comments      §8.5 {content} (201)
    POST /tasks/:id/reopen        the explicit way back from completed or cancelled

Permissions: `tasks.read` for reads, `tasks.write` for changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import PageParams, crm_meta, page_params
from nexo.identity.models import User
from nexo.surfaces.base import surface_router
from nexo.surfaces.crm.task_schemas import (
    MAX_INT_ID,
    CommentAuthor,
    CommentBody,
    CompleteBody,
    CrmCommentOut,
    CrmTaskCreate,
    CrmTaskDetail,
    CrmTaskList,
    CrmTaskOut,
    CrmTaskUpdate,
)
from nexo.tasks import service
from nexo.tasks.models import Task, TaskComment
from nexo.tasks.service import TaskFilters
from nexo.tasks.transitions import Priority, Status

SURFACE = "crm"
TasksReader = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks.read"}))]
TasksWriter = Annotated[Principal, Depends(Authenticated(surface=SURFACE, permissions={"tasks.write"}))]
TaskId = Annotated[int, Path(gt=0, le=MAX_INT_ID)]

router = surface_router(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=CrmTaskList)
async def list_tasks(
    session: SessionDep,
    principal: TasksReader,
    page: Annotated[PageParams, Depends(page_params)],
    assigned_to_user_id: Annotated[int | None, Query(gt=0, le=MAX_INT_ID)] = None,
    status: Annotated[Status | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
) -> CrmTaskList:
    filters = TaskFilters(status=status, priority=priority, assigned_to_user_id=assigned_to_user_id)
    result = await service.list_tasks(session, filters=filters, page=page)
    return CrmTaskList.model_validate(
        {"data": [CrmTaskOut.model_validate(task) for task in result.items], "meta": crm_meta(result)}
    )


@router.post("", status_code=201, response_model=CrmTaskOut)
async def create_task(body: CrmTaskCreate, session: SessionDep, principal: TasksWriter) -> CrmTaskOut:
    values = body.model_dump(exclude_unset=True)
    values["priority"] = body.priority
    task = await service.create_task(session, actor=principal, values=values)
    return CrmTaskOut.model_validate(task)


@router.get("/{task_id}", response_model=CrmTaskDetail)
async def get_task(task_id: TaskId, session: SessionDep, principal: TasksReader) -> CrmTaskDetail:
    task = await service.get_task(session, task_id=task_id)
    comments = await service.list_comments(session, task_id=task.id)
    authors = await service.comment_authors(session, comments)
    return _detail(task, comments, authors)


@router.put("/{task_id}", response_model=CrmTaskOut)
async def update_task(
    task_id: TaskId, body: CrmTaskUpdate, session: SessionDep, principal: TasksWriter
) -> CrmTaskOut:
    changes = body.model_dump(exclude_unset=True)
    task = await service.update_task(session, actor=principal, task_id=task_id, changes=changes)
    return CrmTaskOut.model_validate(task)


@router.post("/{task_id}/complete", response_model=CrmTaskOut)
async def complete_task(
    task_id: TaskId, body: CompleteBody, session: SessionDep, principal: TasksWriter
) -> CrmTaskOut:
    task = await service.complete_task(
        session, actor=principal, task_id=task_id, completion_notes=body.completion_notes
    )
    return CrmTaskOut.model_validate(task)


@router.post("/{task_id}/comments", status_code=201, response_model=CrmCommentOut)
async def add_comment(
    task_id: TaskId, body: CommentBody, session: SessionDep, principal: TasksWriter
) -> CrmCommentOut:
    comment = await service.add_comment(session, actor=principal, task_id=task_id, content=body.content)
    authors = await service.comment_authors(session, [comment])
    return _comment(comment, authors)


@router.post("/{task_id}/reopen", response_model=CrmTaskOut)
async def reopen_task(task_id: TaskId, session: SessionDep, principal: TasksWriter) -> CrmTaskOut:
    task = await service.reopen_task(session, actor=principal, task_id=task_id)
    return CrmTaskOut.model_validate(task)


def _detail(task: Task, comments: list[TaskComment], authors: dict[int, User]) -> CrmTaskDetail:
    base = CrmTaskOut.model_validate(task).model_dump()
    return CrmTaskDetail(**base, comments=[_comment(comment, authors) for comment in comments])


def _comment(comment: TaskComment, authors: dict[int, User]) -> CrmCommentOut:
    author = authors.get(comment.user_id) if comment.user_id is not None else None
    return CrmCommentOut(
        id=comment.id,
        task_id=comment.task_id,
        user=CommentAuthor.model_validate(author) if author is not None else None,
        content=comment.content,
        created_at=comment.created_at,
    )
