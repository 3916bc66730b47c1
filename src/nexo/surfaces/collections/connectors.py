"""Connectors seen by people (list with liveness, queue a command) and the connector's heartbeat
(collections spec §4.1, §4.4). Link codes, registration and tokens live in `connector_auth`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.http.schemas import CamelStrictBody
from nexo.core.jobs import clock
from nexo.receivables import connectors
from nexo.receivables.models import ConnectorCommand
from nexo.surfaces.base import surface_router
from nexo.surfaces.collections.access import ConectoresReader, ConectoresWriter, HeartbeatConnector
from nexo.surfaces.collections.wire import MoneyJSONResponse, iso

router = surface_router(prefix="/connectors", tags=["Conectores"])


def _view(view: connectors.ConnectorView) -> dict[str, Any]:
    connector, state = view.connector, view.state
    return {
        "id": str(connector.id),
        "nombre": connector.name,
        "tipo": "aspel-sae",
        "version": connector.version,
        "status": view.status,
        "lastHeartbeat": iso(state.last_heartbeat_at if state else None),
        "lastSync": iso(state.last_sync_at if state else None),
        "empresas": [{"id": e.get("id"), "nombre": e.get("nombre")} for e in connector.empresas or []],
    }


@router.get("", response_class=MoneyJSONResponse, summary="List connectors with their liveness")
async def list_connectors(
    principal: ConectoresReader, session: SessionDep, runtime: RuntimeDep
) -> MoneyJSONResponse:
    interval = timedelta(seconds=runtime.settings.connector_heartbeat_interval_seconds)
    views = await connectors.list_connectors(session, interval=interval)
    return MoneyJSONResponse({"data": [_view(view) for view in views], "meta": {"total": len(views)}})


class HeartbeatBody(CamelStrictBody):
    status: str | None = Field(default=None, max_length=32)
    uptime: int | None = Field(default=None, ge=0, le=2_147_483_647)  # stored in an INTEGER column
    memory_usage: Decimal | None = Field(
        default=None, ge=0, le=Decimal("1e12"), max_digits=20, decimal_places=6
    )
    last_sync_status: str | None = Field(default=None, max_length=32)
    empresas_online: list[str] = Field(default_factory=list, max_length=100)


def _command(command: ConnectorCommand) -> dict[str, Any]:
    return {
        "id": str(command.id),
        "type": command.command,
        "params": command.params,
        "createdAt": iso(command.created_at),
    }


@router.post("/heartbeat", response_class=MoneyJSONResponse, summary="Connector heartbeat")
async def heartbeat(
    body: HeartbeatBody, connector: HeartbeatConnector, session: SessionDep
) -> MoneyJSONResponse:
    beat = connectors.Heartbeat(
        status=body.status,
        uptime=body.uptime,
        memory_usage=str(body.memory_usage) if body.memory_usage is not None else None,
        last_sync_status=body.last_sync_status,
        empresas_online=tuple(body.empresas_online),
    )
    commands = await connectors.record_heartbeat(session, uuid.UUID(connector.id), beat)
    return MoneyJSONResponse(
        {"ack": True, "serverTime": iso(clock.now()), "commands": [_command(c) for c in commands]}
    )


class CommandBody(CamelStrictBody):
    type: Literal["sync_now"]
    empresa_id: str | None = Field(default=None, min_length=1, max_length=32)


@router.post(
    "/{connector_id}/commands", status_code=201, response_class=MoneyJSONResponse, summary="Queue a command"
)
async def queue_command(
    connector_id: uuid.UUID, body: CommandBody, principal: ConectoresWriter, session: SessionDep
) -> MoneyJSONResponse:
    command = await connectors.queue_command(
        session, actor=principal, connector_id=connector_id, command=body.type, empresa_id=body.empresa_id
    )
    return MoneyJSONResponse(_command(command), status_code=201)
