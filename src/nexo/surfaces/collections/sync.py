"""`POST /sync/cartera` (collections spec §5.1), called by connectors.

The body is read raw so that the checksum is verified over `data` exactly as sent (see
`receivables.canonical`): numbers keep their digits, and a mismatch is refused before anything is
written. Every refusal after authentication is recorded as a failed sync and announced as
`sync.fallido`, in a transaction of its own; the snapshot itself is written all or nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from nexo.core.auth.principal import Principal
from nexo.core.errors import BadRequest, ErrorDetail, NexoError, ValidationFailed
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.receivables.canonical import checksum_matches, parse_preserving_numbers, plain
from nexo.receivables.snapshot import SyncRequest
from nexo.receivables.sync import SyncFailure, apply_snapshot, record_sync_failure
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import SyncConnector
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso

router = surface_router(prefix="/sync", tags=["Sincronización"])

_REQUEST_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SyncRequest.model_json_schema(by_alias=True)}},
    }
}


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _parse(raw: bytes) -> tuple[dict[str, Any], SyncRequest]:
    try:
        document = parse_preserving_numbers(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON.", code="INVALID_JSON") from exc
    if not isinstance(document, dict):
        raise ValidationFailed(
            "The body must be a JSON object.", details=[ErrorDetail("body", "expected an object")]
        )
    try:
        request = SyncRequest.model_validate(plain(document))
    except ValidationError as exc:
        details = [ErrorDetail(_field(err["loc"]), err["msg"]) for err in exc.errors()]
        raise ValidationFailed(f"{details[0].field}: {details[0].message}", details=details) from exc
    return document, request


def _check_checksum(document: dict[str, Any], request: SyncRequest) -> None:
    if not checksum_matches(document["data"], request.checksum):
        raise BadRequest(
            "The checksum does not match the data; nothing was written. "
            "Compute SHA-256 over the canonical JSON of `data` (see the collections docs).",
            code="CHECKSUM_MISMATCH",
            details=[ErrorDetail("checksum", "does not match SHA-256 of the canonical data")],
        )


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
    raw = await request.body()
    connector_id = uuid.UUID(connector.id)
    try:
        document, body = _parse(raw)
        _check_checksum(document, body)
        outcome = await apply_snapshot(session, connector_id=connector_id, request=body)
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
