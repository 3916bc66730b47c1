"""crm §7 (clients): CRUD, tags, search, CSV import and export.

GET    /clients                 search, lead_status, segment, tags, page, limit → {data, meta}
POST   /clients                 §7.2 (201)                       clients.create
GET    /clients/:id             §7.3                             clients.read
PUT    /clients/:id             §7.4: the fields sent change      clients.update
DELETE /clients/:id             §7.5 (204)                       clients.delete
POST   /clients/:id/tags        §7.6 {tag}                       clients.update
DELETE /clients/:id/tags/:tag   §7.7                             clients.update
POST   /clients/import          §7.8 multipart `file`; 200, or 202 with a job for large files;
                                413 over NEXO_CRM_IMPORT_MAX_BYTES (the route's own body limit)
GET    /clients/imports/:id     progress of an import job        clients.import
GET    /clients/export          §7.9 CSV, streamed, filters honoured  clients.export
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import bindparam, select
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException

from nexo.core.auth.principal import Principal
from nexo.core.errors import ErrorDetail, ValidationFailed
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.middleware import allow_body_up_to
from nexo.core.pagination import PageParams, crm_meta, page_params
from nexo.crm.clients import import_runs, service
from nexo.crm.clients.exporting import export_csv
from nexo.crm.clients.fields import normalise_tags
from nexo.crm.clients.importing import ImportTally
from nexo.crm.clients.models import Client, ClientImport
from nexo.crm.clients.search import ClientFilters, list_clients
from nexo.surfaces.base import surface_router
from nexo.surfaces.crm.client_schemas import (
    ClientCreate,
    ClientDetail,
    ClientList,
    ClientOut,
    ClientTask,
    ClientUpdate,
    ImportResult,
    ImportStatus,
    LeadStatus,
    TagBody,
    TagsOut,
)
from nexo.surfaces.crm.wire import IdPath, allowed, money_number
from nexo.tasks.models import Task

router = surface_router(prefix="/clients", tags=["clients"])

ClientId = Annotated[int, IdPath("The client's id.")]
Reader = Annotated[Principal, allowed("clients.read")]
Creator = Annotated[Principal, allowed("clients.create")]
Updater = Annotated[Principal, allowed("clients.update")]
Deleter = Annotated[Principal, allowed("clients.delete")]
Importer = Annotated[Principal, allowed("clients.import")]
Exporter = Annotated[Principal, allowed("clients.export")]


async def client_filters(  # async: FastAPI runs a plain `def` dependency in a thread
    search: Annotated[str | None, Query(max_length=100, description="Name, phone or email fragment")] = None,
    lead_status: Annotated[LeadStatus | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=50)] = None,
    tags: Annotated[str | None, Query(max_length=500, description="Comma-separated; all must match")] = None,
) -> ClientFilters:
    wanted = tuple(dict.fromkeys(t.strip().casefold() for t in (tags or "").split(",") if t.strip()))
    return ClientFilters(search=search, lead_status=lead_status, segment=segment, tags=wanted)


Filters = Annotated[ClientFilters, Depends(client_filters)]


def _out(client: Client, tags: list[str]) -> ClientOut:
    return ClientOut.model_validate({**_fields(client), "tags": tags})


def _fields(client: Client) -> dict[str, object]:
    return {name: getattr(client, name) for name in ClientDetail.model_fields if hasattr(client, name)}


def _detail_of(client: Client, tags: list[str], tasks: list[ClientTask]) -> ClientDetail:
    return ClientDetail.model_validate(
        {
            **_fields(client),
            "tags": tags,
            "ltv": money_number(client.ltv),
            "chats": [],  # the conversations issue fills this in
            "tasks": tasks,
        }
    )


# The four columns the answer shows, not whole Task objects; built once (see nexo.core.tenancy).
_LATEST_TASKS = (
    select(Task.id, Task.title, Task.due_date, Task.status)
    .where(Task.client_id == bindparam("client_id"))
    .order_by(Task.id.desc())
    .limit(20)
)


async def _detail(session: SessionDep, client: Client) -> ClientDetail:
    tags = (await service.tags_of(session, [client.id]))[client.id]
    rows = await session.execute(_LATEST_TASKS, {"client_id": client.id})
    tasks = [ClientTask(id=row.id, title=row.title, due_date=row.due_date, status=row.status) for row in rows]
    return _detail_of(client, tags, tasks)


@router.get("", response_model=ClientList, summary="List clients (§7.1)")
async def list_(
    session: SessionDep,
    principal: Reader,
    filters: Filters,
    page: Annotated[PageParams, Depends(page_params)],
) -> ClientList:
    result = await list_clients(session, filters, page)
    tags = await service.tags_of(session, [client.id for client in result.items])
    return ClientList(data=[_out(client, tags[client.id]) for client in result.items], meta=crm_meta(result))


@router.post("", status_code=201, response_model=ClientDetail, summary="Create a client (§7.2)")
async def create(
    body: ClientCreate, session: SessionDep, runtime: RuntimeDep, principal: Creator
) -> ClientDetail:
    client = await service.create_client(
        session,
        values=body.model_dump(exclude_unset=True),
        region=runtime.settings.crm_default_phone_region,
        actor=principal,
    )
    # A client created a moment ago has exactly the tags it was created with (the service refused
    # the request otherwise) and no task yet: nothing to read back.
    return _detail_of(client, sorted(normalise_tags(body.tags or [])), tasks=[])


@router.get("/export", summary="Export clients as CSV (§7.9)", response_class=StreamingResponse)
async def export(
    runtime: RuntimeDep,
    principal: Exporter,
    filters: Filters,
    format: Annotated[str, Query(pattern="^csv$", description="Only csv")] = "csv",
) -> StreamingResponse:
    assert principal.tenant_id is not None
    stream = export_csv(runtime.database, tenant_id=principal.tenant_id, filters=filters)
    return StreamingResponse(
        stream,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"'},
    )


# The import route reads its multipart body itself, after the caller is authenticated and allowed,
# so that it can first raise this request's body limit to the import limit: the CSV files people
# export from spreadsheets are often far over the global NEXO_MAX_BODY_BYTES.
_IMPORT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV, UTF-8 or Latin-1, header in row 1; up to "
                            "NEXO_CRM_IMPORT_MAX_BYTES (100 MiB by default)",
                        },
                        "dry_run": {
                            "type": "boolean",
                            "default": False,
                            "description": "Check every row, write nothing",
                        },
                        "on_duplicate": {
                            "type": "string",
                            "enum": ["skip", "update"],
                            "default": "skip",
                            "description": "skip (default) or update",
                        },
                    },
                }
            }
        },
    }
}
# Multipart boundaries, headers and the small fields around the file.
_FORM_OVERHEAD_BYTES = 64 * 1024
_TRUE_WORDS, _FALSE_WORDS = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off", ""})


def _form_bool(value: str | StarletteUpload | None, name: str) -> bool:
    word = value.strip().casefold() if isinstance(value, str) else "" if value is None else None
    if word is None or word not in _TRUE_WORDS | _FALSE_WORDS:
        raise ValidationFailed(details=[ErrorDetail(name, "true or false")])
    return word in _TRUE_WORDS


def _uploaded_file(form: FormData) -> StarletteUpload:
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload):
        raise ValidationFailed(
            "Send the CSV as the multipart/form-data field `file`.", details=[ErrorDetail("file", "required")]
        )
    return upload


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Import clients from CSV (§7.8)",
    openapi_extra=_IMPORT_FORM,
    responses={
        202: {"model": ImportStatus, "description": "A large file: imported by a job"},
        413: {"description": "The file is over the import limit (NEXO_CRM_IMPORT_MAX_BYTES)"},
    },
)
async def import_(
    request: Request, session: SessionDep, runtime: RuntimeDep, principal: Importer
) -> ImportResult | Response:
    limit = runtime.settings.crm_import_max_bytes
    allow_body_up_to(request.scope, limit + _FORM_OVERHEAD_BYTES)
    try:
        async with request.form(max_files=1, max_fields=10) as form:
            file = _uploaded_file(form)
            import_runs.check_size(file.size or 0, limit=limit)
            dry_run = _form_bool(form.get("dry_run"), "dry_run")
            on_duplicate = import_runs.check_on_duplicate(str(form.get("on_duplicate") or "skip"))
            return await _import_file(
                session, runtime, principal, file, dry_run=dry_run, on_duplicate=on_duplicate
            )
    except HTTPException as exc:  # the body limit, counted while the upload streams in
        if exc.status_code == 413:
            raise import_runs.file_too_large(limit) from exc
        raise


async def _import_file(
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Principal,
    file: StarletteUpload,
    *,
    dry_run: bool,
    on_duplicate: str,
) -> ImportResult | Response:
    region = runtime.settings.crm_default_phone_region
    if (file.size or 0) > runtime.settings.crm_import_inline_max_bytes:
        assert principal.tenant_id is not None
        job = await import_runs.stage_import(
            session,
            file.file,
            filename=file.filename,
            region=region,
            on_duplicate=on_duplicate,
            dry_run=dry_run,
            actor=principal,
            tenant_id=principal.tenant_id,
        )
        body = import_status(job).model_dump_json().encode()
        return Response(body, status_code=202, media_type="application/json")
    tally, _ = await import_runs.import_inline(
        session, file.file, region=region, on_duplicate=on_duplicate, dry_run=dry_run, actor=principal
    )
    return _result(tally, dry_run=dry_run)


@router.get("/imports/{import_id}", response_model=ImportStatus, summary="Progress of a CSV import job")
async def import_progress(
    session: SessionDep, principal: Importer, import_id: Annotated[int, IdPath("The import's id.")]
) -> ImportStatus:
    return import_status(await import_runs.get_import(session, import_id))


def _result(tally: ImportTally, *, dry_run: bool) -> ImportResult:
    return ImportResult.model_validate(
        {
            "imported": tally.imported,
            "updated": tally.updated,
            "skipped": tally.skipped,
            "duplicates": tally.duplicates,
            "errors": tally.errors,
            "errors_total": tally.error_count,
            "dry_run": dry_run,
        }
    )


def import_status(job: ClientImport) -> ImportStatus:
    result = _result(import_runs.tally_of(job), dry_run=job.dry_run)
    return ImportStatus.model_validate(
        {
            **result.model_dump(),
            "id": job.id,
            "status": job.status,
            "total_rows": job.total_rows,
            "rows_processed": job.rows_processed,
            "filename": job.filename,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        }
    )


@router.get("/{client_id}", response_model=ClientDetail, summary="Get a client (§7.3)")
async def get(client_id: ClientId, session: SessionDep, principal: Reader) -> ClientDetail:
    return await _detail(session, await service.get_client(session, client_id))


@router.put("/{client_id}", response_model=ClientDetail, summary="Update a client (§7.4)")
async def update(
    client_id: ClientId, body: ClientUpdate, session: SessionDep, runtime: RuntimeDep, principal: Updater
) -> ClientDetail:
    client = await service.update_client(
        session,
        client_id=client_id,
        values=body.model_dump(exclude_unset=True),
        region=runtime.settings.crm_default_phone_region,
        actor=principal,
    )
    return await _detail(session, client)


@router.delete("/{client_id}", status_code=204, summary="Delete a client (§7.5)")
async def delete(client_id: ClientId, session: SessionDep, principal: Deleter) -> Response:
    await service.delete_client(session, client_id=client_id, actor=principal)
    return Response(status_code=204)


@router.post("/{client_id}/tags", response_model=TagsOut, summary="Add a tag (§7.6)")
async def add_tag(client_id: ClientId, body: TagBody, session: SessionDep, principal: Updater) -> TagsOut:
    tags = await service.add_tag(session, client_id=client_id, tag=body.tag, actor=principal)
    return TagsOut(id=client_id, tags=tags)


@router.delete("/{client_id}/tags/{tag}", response_model=TagsOut, summary="Remove a tag (§7.7)")
async def remove_tag(client_id: ClientId, tag: str, session: SessionDep, principal: Updater) -> TagsOut:
    tags = await service.remove_tag(session, client_id=client_id, tag=tag, actor=principal)
    return TagsOut(id=client_id, tags=tags)
