"""Running a CSV import: inline for small files, as a resumable job for large ones.

Small files (up to `crm_import_inline_max_bytes`) are imported in the request's transaction: all of
it commits or none does, and the answer is §7.8's `{imported, skipped, errors}`.

Large files are parsed once, in the request (so a wrong header, an empty file or a broken encoding is
refused at once, with nothing written), into segments of rows staged in the database, and a job is
enqueued. Each run of the job imports a few segments and commits them together with the progress
counters, then reschedules itself: progress is readable through `GET /clients/imports/{id}` while it
runs, a crashed worker's job resumes at the first unfinished segment, and memory stays flat whatever
the file's size. A dry run never writes clients: it runs in one savepoint that is rolled back.
"""

from __future__ import annotations

from typing import IO, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import ErrorDetail, NotFound, PayloadTooLarge, ValidationFailed
from nexo.core.jobs import Reschedule, clock, enqueue, register_handler
from nexo.core.tenancy import scope_to_tenant
from nexo.crm.clients.csv_format import CsvLayout, bad_file, open_text, read_layout
from nexo.crm.clients.importing import ON_DUPLICATE, ImportTally, batches, import_batch
from nexo.crm.clients.models import ClientImport, ClientImportSegment

JOB_KIND = "crm.clients.import"
SEGMENTS_PER_RUN = 5


def check_on_duplicate(value: str) -> str:
    if value not in ON_DUPLICATE:
        raise ValidationFailed(details=[ErrorDetail("on_duplicate", f"one of {', '.join(ON_DUPLICATE)}")])
    return value


def file_too_large(limit: int) -> PayloadTooLarge:
    size = f"{limit / 1024 / 1024:.0f} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    return PayloadTooLarge(
        f"The file is larger than the import limit of {size}; nothing was imported. Split it into "
        "smaller files, or ask the administrator to raise NEXO_CRM_IMPORT_MAX_BYTES."
    )


def check_size(size: int, *, limit: int) -> None:
    """Refuse a file over the import limit before reading a row of it (nothing is written)."""
    if size > limit:
        raise file_too_large(limit)


def _layout(raw: IO[bytes]) -> tuple[CsvLayout, Any, Any]:
    text, encoding = open_text(raw)
    layout, rows = read_layout(text, encoding)
    return layout, rows, text


async def import_inline(
    session: AsyncSession,
    raw: IO[bytes],
    *,
    region: str,
    on_duplicate: str,
    dry_run: bool,
    actor: Principal,
) -> tuple[ImportTally, CsvLayout]:
    """Import the whole file in the caller's transaction; a dry run rolls its writes back."""
    layout, rows, text = _layout(raw)
    tally = ImportTally()
    savepoint = await session.begin_nested()
    try:
        for batch in batches(rows):
            await import_batch(
                session, batch, columns=layout.columns, region=region, on_duplicate=on_duplicate, tally=tally
            )
    except BaseException:
        await savepoint.rollback()
        raise
    finally:
        text.detach()
    if dry_run:
        await savepoint.rollback()
    else:
        await savepoint.commit()
    if tally.rows == 0:
        raise bad_file("The file has a header but no rows.")
    _audit(session, actor, tally, dry_run=dry_run, entity_id=None)
    return tally, layout


async def stage_import(
    session: AsyncSession,
    raw: IO[bytes],
    *,
    filename: str | None,
    region: str,
    on_duplicate: str,
    dry_run: bool,
    actor: Principal,
    tenant_id: int,
) -> ClientImport:
    """Parse the file into staged segments and enqueue the job that imports them."""
    layout, rows, text = _layout(raw)
    job = ClientImport(
        status="queued",
        dry_run=dry_run,
        on_duplicate=on_duplicate,
        filename=(filename or "")[:255] or None,
        encoding=layout.encoding,
        columns=layout.columns,
        created_by=actor.id,
    )
    session.add(job)
    await session.flush()
    try:
        for seq, batch in enumerate(batches(rows)):
            session.add(
                ClientImportSegment(import_id=job.id, seq=seq, rows=[[n, cells] for n, cells in batch])
            )
            job.total_rows += len(batch)
            await session.flush()
    finally:
        text.detach()
    if job.total_rows == 0:
        raise bad_file("The file has a header but no rows.")
    await enqueue(session, JOB_KIND, {"import_id": job.id, "tenant_id": tenant_id, "region": region})
    return job


async def get_import(session: AsyncSession, import_id: int) -> ClientImport:
    job = await session.scalar(select(ClientImport).where(ClientImport.id == import_id))
    if job is None:
        raise NotFound("The import does not exist.")
    return job


def tally_of(job: ClientImport) -> ImportTally:
    tally = ImportTally(rows=job.rows_processed, imported=job.imported, updated=job.updated)
    tally.error_count = job.error_count
    tally.duplicates = job.skipped - job.error_count
    tally.errors = list(job.errors)
    return tally


def _store(job: ClientImport, tally: ImportTally) -> None:
    job.rows_processed = tally.rows
    job.imported = tally.imported
    job.updated = tally.updated
    job.skipped = tally.skipped
    job.error_count = tally.error_count
    job.errors = list(tally.errors)


async def run_import_job(session: AsyncSession, payload: dict[str, Any]) -> Reschedule | None:
    """The job handler: import the next segments, commit with the progress, reschedule if more."""
    scope_to_tenant(session, int(payload["tenant_id"]))
    job = await session.scalar(select(ClientImport).where(ClientImport.id == int(payload["import_id"])))
    if job is None or job.status in ("done", "failed"):
        return None
    region = str(payload["region"])
    job.status = "running"
    job.started_at = job.started_at or utcnow()
    tally = tally_of(job)
    limit = None if job.dry_run else SEGMENTS_PER_RUN
    savepoint = await session.begin_nested() if job.dry_run else None
    segments = select(ClientImportSegment).where(ClientImportSegment.import_id == job.id)
    segments = segments.order_by(ClientImportSegment.seq).limit(limit)
    done_segments = 0
    for segment in list(await session.scalars(segments)):
        rows = [(int(number), list(cells)) for number, cells in segment.rows]
        await import_batch(
            session, rows, columns=job.columns, region=region, on_duplicate=job.on_duplicate, tally=tally
        )
        done_segments += 1
    if savepoint is not None:
        await savepoint.rollback()
    await session.execute(
        delete(ClientImportSegment).where(
            ClientImportSegment.import_id == job.id,
            ClientImportSegment.seq < job.next_segment + done_segments,
        )
    )
    job.next_segment += done_segments
    _store(job, tally)
    if tally.rows < job.total_rows and done_segments:
        return Reschedule(clock.now())
    job.status = "done"
    job.finished_at = utcnow()
    actor = Principal(kind="user", id=job.created_by or "", tenant_id=int(payload["tenant_id"]))
    _audit(session, actor, tally, dry_run=job.dry_run, entity_id=job.id)
    return None


def _audit(
    session: AsyncSession, actor: Principal, tally: ImportTally, *, dry_run: bool, entity_id: int | None
) -> None:
    if dry_run:
        return
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="client.imported",
        entity_type="ClientImport",
        entity_id=entity_id,
        changes={
            "imported": {"from": None, "to": tally.imported},
            "updated": {"from": None, "to": tally.updated},
            "skipped": {"from": None, "to": tally.skipped},
        },
    )


register_handler(JOB_KIND, run_import_job, max_attempts=5)
