"""Connector liveness and commands (collections spec §4.1, §4.4).

A connector is online while its heartbeats keep coming: it turns offline once three heartbeat
intervals (`NEXO_CONNECTOR_HEARTBEAT_INTERVAL_SECONDS`) pass without one, and is "revoked" once its
credentials are. People queue commands for a connector ("sync now"); its next heartbeat receives each
queued command once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import BadRequest, ErrorDetail, NotFound
from nexo.core.jobs import clock
from nexo.credentials.connectors import ACTIVE
from nexo.credentials.models import Connector
from nexo.receivables.models import ConnectorCommand, ConnectorState
from nexo.receivables.sync import allowed_empresas

MISSED_BEATS = 3
COMMANDS = frozenset({"sync_now"})
MAX_COMMANDS_PER_BEAT = 20


@dataclass(frozen=True, slots=True)
class ConnectorView:
    connector: Connector
    state: ConnectorState | None
    status: str  # online | offline | revoked


def liveness(
    connector: Connector, state: ConnectorState | None, *, interval: timedelta, now: datetime
) -> str:
    if connector.status != ACTIVE:
        return "revoked"
    beat = state.last_heartbeat_at if state else None
    return "online" if beat is not None and now - beat <= interval * MISSED_BEATS else "offline"


async def list_connectors(session: AsyncSession, *, interval: timedelta) -> list[ConnectorView]:
    rows = await session.execute(
        select(Connector, ConnectorState)
        .outerjoin(ConnectorState, ConnectorState.connector_id == Connector.id)
        .order_by(Connector.created_at, Connector.id)
    )
    now = clock.now()
    return [ConnectorView(c, s, liveness(c, s, interval=interval, now=now)) for c, s in rows.tuples()]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    status: str | None = None
    uptime: int | None = None
    memory_usage: str | None = None
    last_sync_status: str | None = None
    empresas_online: tuple[str, ...] = ()


async def record_heartbeat(
    session: AsyncSession, connector_id: uuid.UUID, beat: Heartbeat
) -> list[ConnectorCommand]:
    """Store the beat and hand over (mark delivered) the commands waiting for this connector."""
    now = clock.now()
    state = await session.get(ConnectorState, connector_id)
    if state is None:
        state = ConnectorState(connector_id=connector_id)
        session.add(state)
    state.last_heartbeat_at = now
    state.reported_status = beat.status
    state.uptime_seconds = beat.uptime
    state.memory_usage = beat.memory_usage
    state.last_sync_status = beat.last_sync_status or state.last_sync_status
    state.empresas_online = list(beat.empresas_online)
    pending = list(
        await session.scalars(
            select(ConnectorCommand)
            .where(ConnectorCommand.connector_id == connector_id, ConnectorCommand.delivered_at.is_(None))
            .order_by(ConnectorCommand.created_at, ConnectorCommand.id)
            .limit(MAX_COMMANDS_PER_BEAT)
        )
    )
    if pending:
        await session.execute(
            update(ConnectorCommand)
            .where(ConnectorCommand.id.in_([command.id for command in pending]))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
    return pending


async def queue_command(
    session: AsyncSession, *, actor: Principal, connector_id: uuid.UUID, command: str, empresa_id: str | None
) -> ConnectorCommand:
    connector = await session.get(Connector, connector_id)
    if connector is None:
        raise NotFound("No connector with this id.")
    if connector.status != ACTIVE:
        raise BadRequest("The connector is revoked; link a new one.", code="CONNECTOR_REVOKED")
    if command not in COMMANDS:
        raise BadRequest(
            f"Unknown command {command!r}.", details=[ErrorDetail("type", f"one of {sorted(COMMANDS)}")]
        )
    if empresa_id is not None and empresa_id not in allowed_empresas(connector):
        raise BadRequest(
            f"The connector has no empresa {empresa_id!r}.",
            details=[ErrorDetail("empresaId", "unknown empresa")],
        )
    params: dict[str, Any] = {"empresaId": empresa_id} if empresa_id else {}
    queued = ConnectorCommand(
        id=uuid.uuid4(), connector_id=connector_id, command=command, params=params, created_by=actor.id
    )
    session.add(queued)
    await session.flush()
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action="connector.command_queued",
        entity_type="connector",
        entity_id=str(connector_id),
        changes={"command": {"from": None, "to": command}},
    )
    return queued
