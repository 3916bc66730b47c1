"""`POST /sync/cartera` (collections spec §5.1), called by connectors.

The body is read raw so that the checksum is verified over `data` exactly as sent (see
`receivables.canonical`): numbers keep their digits, and a mismatch is refused before anything is
written. Every refusal after authentication is recorded as a failed sync and announced as
`sync.fallido`, in a transaction of its own; the snapshot itself is written all or nothing.

The body may be up to `NEXO_SYNC_MAX_BODY_BYTES` (32 MiB by default, about 200,000 invoices), not
the global `NEXO_MAX_BODY_BYTES`; only an authenticated connector gets that far. A snapshot that
repeats the last one applied to its empresa is recorded without being validated and diffed again
(`receivables.sync.is_replay`).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from nexo.core.auth.principal import Principal
from nexo.core.errors import BadRequest, ErrorDetail, NexoError, ValidationFailed
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.middleware import allow_body_up_to
from nexo.receivables.canonical import checksum_of, parse_preserving_numbers
from nexo.receivables.snapshot import SyncEnvelope, SyncRequest
from nexo.receivables.sync import (
    SyncFailure,
    SyncOutcome,
    apply_replay,
    apply_snapshot,
    is_replay,
    record_sync_failure,
)
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import SyncConnector
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso

router = surface_router(prefix="/sync", tags=["Sincronización"])
Model = TypeVar("Model", bound=BaseModel)

_REQUEST_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SyncRequest.model_json_schema(by_alias=True)}},
    }
}


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _document(raw: bytes) -> dict[str, Any]:
    try:
        document = parse_preserving_numbers(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON.", code="INVALID_JSON") from exc
    if not isinstance(document, dict):
        raise ValidationFailed(
            "The body must be a JSON object.", details=[ErrorDetail("body", "expected an object")]
        )
    return document


def _validated(model: type[Model], document: dict[str, Any]) -> Model:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        details = [ErrorDetail(_field(err["loc"]), err["msg"]) for err in exc.errors()]
        raise ValidationFailed(f"{details[0].field}: {details[0].message}", details=details) from exc


def _checksum(data: Any) -> str | None:
    """SHA-256 of the canonical `data`, or None when `data` is not even there."""
    if data is None:
        return None
    try:
        return checksum_of(data)
    except ValueError as exc:  # a string no UTF-8 can hold (a lone surrogate escape)
        raise BadRequest(f"The request body cannot be checksummed: {exc}.", code="INVALID_JSON") from exc


def _check_checksum(digest: str | None, presented: str) -> None:
    if digest != presented.strip().lower().removeprefix("sha256:"):
        raise BadRequest(
            "The checksum does not match the data; nothing was written. "
            "Compute SHA-256 over the canonical JSON of `data` (see the collections docs).",
            code="CHECKSUM_MISMATCH",
            details=[ErrorDetail("checksum", "does not match SHA-256 of the canonical data")],
        )


def _sizes(data: dict[str, Any]) -> tuple[int, int]:
    """(clients, invoices) of data that was validated when it was first applied."""
    clientes = data["clientes"]
    return len(clientes), sum(len(cliente.get("facturas", ())) for cliente in clientes)


async def _apply(raw: bytes, connector_id: uuid.UUID, session: SessionDep) -> SyncOutcome:
    document = _document(raw)
    envelope = _validated(SyncEnvelope, {k: v for k, v in document.items() if k != "data"})
    digest = _checksum(document.get("data"))
    if digest is not None and await is_replay(session, envelope, digest):
        _check_checksum(digest, envelope.checksum)
        clientes, facturas = _sizes(document["data"])
        return await apply_replay(
            session, connector_id=connector_id, envelope=envelope, clientes=clientes, facturas=facturas
        )
    body = _validated(SyncRequest, document)
    _check_checksum(digest, body.checksum)
    del document  # the validated models hold what is needed; the parsed tree can go
    return await apply_snapshot(session, connector_id=connector_id, request=body)


def _loose(raw: bytes) -> tuple[str | None, str | None]:
    """empresaId and checksum of a body that failed validation, when they can still be read."""
    try:
        document = parse_preserving_numbers(raw)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    empresa, checksum = document.get("empresaId"), document.get("checksum")
    return (empresa if isinstance(empresa, str) else None, checksum if isinstance(checksum, str) else None)


@router.post("/cartera", openapi_extra=_REQUEST_SCHEMA, summary="Sync the portfolio of one empresa")
async def sync_cartera(
    request: Request, connector: SyncConnector, session: SessionDep, runtime: RuntimeDep
) -> MoneyJSONResponse:
    allow_body_up_to(request.scope, runtime.settings.sync_max_body_bytes)
    raw = await request.body()
    try:
        outcome = await _apply(raw, uuid.UUID(connector.id), session)
    except NexoError as error:
        await _record_failure(runtime, connector, raw, error)
        raise
    return MoneyJSONResponse(
        {
            "success": True,
            "syncId": outcome.sync_id,
            "processedAt": iso(outcome.processed_at),
            "stats": outcome.stats.wire(),
        }
    )


async def _record_failure(runtime: RuntimeDep, connector: Principal, raw: bytes, error: NexoError) -> None:
    assert connector.tenant_id is not None  # connectors always belong to a tenant
    empresa_id, checksum = _loose(raw)
    await record_sync_failure(
        runtime.database,
        SyncFailure(
            tenant_id=connector.tenant_id,
            connector_id=uuid.UUID(connector.id),
            empresa_id=empresa_id,
            checksum=checksum,
            code=error.error_code,
            message=error.message,
        ),
    )
