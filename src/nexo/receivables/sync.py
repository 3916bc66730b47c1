"""Applying a connector's snapshot: upsert the empresa's clients, contacts and invoices in the caller's
transaction, close what a full snapshot no longer lists, and report exactly what changed.

Rules (docs/collections.md, "Sync"):
- clients are keyed by `(empresaId, clave)`, invoices by `(empresaId, folio)`;
- a row whose content hash (the normalised fields it was written from) and derived status match the
  stored ones is not touched, so replaying an identical snapshot writes no client, contact or invoice;
- a snapshot whose checksum is that of the last completed sync of the empresa (same `tipo`) is a
  replay: it is not validated or diffed again (`apply_replay`), because applying it again would
  change nothing; the sync is still recorded and announced, with every invoice `sinCambios`;
- `stats.nuevos` / `modificados` / `sinCambios` classify the snapshot's invoices, so they add up to
  `facturasActualizadas`; `cerradas` counts the open invoices a full snapshot closed;
- a full snapshot (`tipo` "completo", the default) is the whole open portfolio of the empresa: an open
  invoice it leaves out was paid or cancelled in the ERP, and is closed (status "pagada", saldo 0);
- an invoice with saldo 0 is stored closed; one that comes back with a balance is reopened;
- an open invoice that comes back with a lower saldo received a payment in the ERP: `pago.registrado`
  is emitted with the difference (not for invoices closed by their absence: cancelled or paid, the
  snapshot does not say which);
- invoices that arrive already past due are not announced as `factura.vencida` (they did not cross
  their due date while Nexo watched); the daily sweep announces the ones that cross later.

Cost (bench/collections_sync.py): every row is compared by its hash, computed from the validated
snapshot; new rows are written with multi-row INSERTs in batches (never held all at once), changed
rows with one UPDATE each (few rows change between syncs).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.context import defer_until_request_ends
from nexo.core.db.session import Database
from nexo.core.db.types import to_money
from nexo.core.errors import ErrorDetail, Unprocessable
from nexo.core.events import emit
from nexo.core.jobs import clock
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.models import Connector
from nexo.receivables.calendar import Organization, current_organization, day_number
from nexo.receivables.models import (
    OPEN,
    PAID,
    CarteraSnapshot,
    Cliente,
    ConnectorState,
    Contacto,
    Factura,
    SyncRun,
)
from nexo.receivables.snapshot import SnapshotCliente, SyncEnvelope, SyncRequest

CHUNK = 500  # ids per IN (...) list: far below SQLite's bound-parameter limit
INSERT_BATCH = 2000  # rows per multi-row INSERT (SQLAlchemy splits it further on SQLite)
COMPLETED, FAILED = "completado", "fallido"


@dataclass(slots=True)
class SyncStats:
    clientes: int = 0
    facturas: int = 0
    nuevos: int = 0
    modificados: int = 0
    sin_cambios: int = 0
    cerradas: int = 0

    def wire(self) -> dict[str, int]:
        return {
            "clientesActualizados": self.clientes,
            "facturasActualizadas": self.facturas,
            "nuevos": self.nuevos,
            "modificados": self.modificados,
            "sinCambios": self.sin_cambios,
            "cerradas": self.cerradas,
        }


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    sync_id: str
    processed_at: datetime
    stats: SyncStats


def new_sync_id() -> str:
    return f"sync_{uuid.uuid4().hex}"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def invoice_digest(
    clave: str, fecha: date, vencimiento: date, total: Decimal, saldo: Decimal, status: str
) -> str:
    """The invoice's content hash: SHA-256 of the same text as `_digest` of
    {"cliente", "fecha", "saldo", "status", "total", "vencimiento", "vencimiento_dia"} with every
    value as a string, written directly because it runs for every invoice of every sync (about
    ten times faster than json.dumps of a dict). Dates, decimals and the status are plain ASCII;
    only the clave needs JSON escaping."""
    text = (
        f'{{"cliente":{json.dumps(clave, ensure_ascii=False)},"fecha":"{fecha}","saldo":"{saldo}",'
        f'"status":"{status}","total":"{total}","vencimiento":"{vencimiento}",'
        f'"vencimiento_dia":"{day_number(vencimiento)}"}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _contacts(cliente: SnapshotCliente) -> list[dict[str, Any]]:
    """Contacts in snapshot order; the first is principal when none says so."""
    flagged = any(contact.principal for contact in cliente.contactos)
    return [
        {
            "nombre": contact.nombre,
            "email": contact.email or None,
            "telefono": contact.telefono or None,
            "principal": bool(contact.principal) if flagged else index == 0,
        }
        for index, contact in enumerate(cliente.contactos)
    ]


def _client_values(cliente: SnapshotCliente) -> dict[str, Any]:
    direccion = cliente.direccion.model_dump(exclude_none=True) if cliente.direccion else {}
    values: dict[str, Any] = {
        "nombre": cliente.nombre,
        "rfc": cliente.rfc or None,
        "direccion": direccion,
        "ultimo_pago": cliente.ultimo_pago,
    }
    values["content_hash"] = _digest({**values, "contactos": _contacts(cliente)})
    return values


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def allowed_empresas(connector: Connector) -> set[str]:
    empresas = {str(item.get("id")) for item in connector.empresas or [] if item.get("id") is not None}
    if connector.empresa_id:
        empresas.add(connector.empresa_id)
    return empresas


def check_empresa(connector: Connector, empresa_id: str) -> None:
    if empresa_id not in allowed_empresas(connector):
        raise Unprocessable(
            f"This connector did not register empresa {empresa_id!r}.",
            code="UNKNOWN_EMPRESA",
            details=[ErrorDetail("empresaId", "not one of the connector's empresas")],
        )


class _Inserts:
    """New rows of one table, written INSERT_BATCH at a time so a big first sync never holds them all.

    `render_nulls` keeps every row in one batch: without it the ORM leaves None values out of the
    statement and starts a new INSERT each time the set of None columns changes (an open invoice's
    `closed_at` next to a paid one's), which made a 100,000-invoice sync issue ~10,000 statements."""

    def __init__(self, session: AsyncSession, model: type[Any]) -> None:
        self.session, self.model = session, model
        self.rows: list[dict[str, Any]] = []

    async def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= INSERT_BATCH:
            await self.flush()

    async def flush(self) -> None:
        if self.rows:
            # Bulk INSERT bypasses the flush-time tenant stamp, so every row carries `tenant_id`.
            statement = insert(self.model).execution_options(render_nulls=True)
            await self.session.execute(statement, self.rows)
            self.rows = []


@dataclass(frozen=True, slots=True)
class _Payment:
    factura_id: uuid.UUID
    folio: str
    cliente_id: uuid.UUID
    clave: str
    saldo: Decimal


class _Writer:
    """One snapshot's writes; holds the lookups so each phase stays a short method."""

    def __init__(
        self, session: AsyncSession, org: Organization, request: SyncRequest, now: datetime, sync_id: str
    ) -> None:
        self.session, self.org, self.request, self.now = session, org, request, now
        self.sync_id = sync_id
        self.empresa = request.empresa_id
        self.stats = SyncStats(clientes=len(request.data.clientes))
        self.client_ids: dict[str, uuid.UUID] = {}

    async def clients(self) -> None:
        rows = await self.session.execute(
            select(Cliente.clave, Cliente.id, Cliente.content_hash).where(Cliente.empresa_id == self.empresa)
        )
        existing = {clave: (cid, digest) for clave, cid, digest in rows.tuples()}
        new_clients = _Inserts(self.session, Cliente)
        changed: list[dict[str, Any]] = []
        written: list[tuple[uuid.UUID, SnapshotCliente]] = []  # new or changed: their contacts are rewritten
        for cliente in self.request.data.clientes:
            values = _client_values(cliente)
            found = existing.get(cliente.clave)
            client_id = found[0] if found else uuid.uuid4()
            self.client_ids[cliente.clave] = client_id
            if found is not None and found[1] == values["content_hash"]:
                continue
            written.append((client_id, cliente))
            row = {"id": client_id, **values, "updated_at": self.now}
            if found is None:
                tenant = {"tenant_id": self.org.tenant_id, "empresa_id": self.empresa, "clave": cliente.clave}
                await new_clients.add({**row, **tenant})
            else:
                changed.append(row)
        await new_clients.flush()
        await self._replace_contacts([row["id"] for row in changed])
        await self._update(Cliente, changed)
        contacts = _Inserts(self.session, Contacto)  # after the clients exist: contacts point at them
        for client_id, cliente in written:
            for contact in self._contact_rows(client_id, cliente):
                await contacts.add(contact)
        await contacts.flush()

    def _contact_rows(self, client_id: uuid.UUID, cliente: SnapshotCliente) -> list[dict[str, Any]]:
        return [
            {"id": uuid.uuid4(), "tenant_id": self.org.tenant_id, "cliente_id": client_id, "position": i, **c}
            for i, c in enumerate(_contacts(cliente))
        ]

    async def _replace_contacts(self, client_ids: Sequence[uuid.UUID]) -> None:
        for chunk in _chunks(client_ids):
            await self.session.execute(
                delete(Contacto)
                .where(Contacto.cliente_id.in_(chunk))
                .execution_options(synchronize_session=False)
            )

    async def invoices(self) -> None:
        rows = await self.session.execute(
            select(
                Factura.folio, Factura.id, Factura.content_hash, Factura.status, Factura.overdue_notified
            ).where(Factura.empresa_id == self.empresa)
        )
        existing = {row.folio: row for row in rows}
        new_invoices = _Inserts(self.session, Factura)
        changed: list[dict[str, Any]] = []
        payments: list[_Payment] = []
        seen: set[str] = set()
        today = self.org.today_number
        for cliente in self.request.data.clientes:
            client_id = self.client_ids[cliente.clave]
            for factura in cliente.facturas:
                seen.add(factura.folio)
                total, saldo = to_money(factura.total), to_money(factura.saldo)
                status = OPEN if saldo > 0 else PAID
                digest = invoice_digest(
                    cliente.clave, factura.fecha, factura.vencimiento, total, saldo, status
                )
                old = existing.get(factura.folio)
                if old is not None and old.content_hash == digest and old.status == status:
                    self.stats.sin_cambios += 1
                    continue
                due = day_number(factura.vencimiento)
                values = {
                    "fecha": factura.fecha,
                    "vencimiento": factura.vencimiento,
                    "vencimiento_dia": due,
                    "total": total,
                    "saldo": saldo,
                    "status": status,
                    "content_hash": digest,
                    "cliente_id": client_id,
                    "closed_at": None if status == OPEN else self.now,
                }
                if old is None:
                    self.stats.nuevos += 1
                    await new_invoices.add(self._new_invoice(factura.folio, values, notified=due < today))
                    continue
                self.stats.modificados += 1
                notified = old.overdue_notified and due < today
                changed.append({"id": old.id, **values, "overdue_notified": notified, "updated_at": self.now})
                if old.status == OPEN:
                    payments.append(_Payment(old.id, factura.folio, client_id, cliente.clave, saldo))
        self.stats.facturas = len(seen)
        await new_invoices.flush()
        paid = await self._payments(payments)  # reads the old balances before they are overwritten
        await self._update(Factura, changed)
        if self.request.tipo == "completo":
            absent = [row.id for folio, row in existing.items() if folio not in seen and row.status == OPEN]
            await self._close(absent)
        for payment, previous in paid:
            self._announce_payment(payment, previous)

    async def _payments(self, candidates: Sequence[_Payment]) -> list[tuple[_Payment, Decimal]]:
        """The changed open invoices whose balance went down, with their previous balance."""
        previous: dict[uuid.UUID, Decimal] = {}
        for chunk in _chunks([payment.factura_id for payment in candidates]):
            rows = await self.session.execute(select(Factura.id, Factura.saldo).where(Factura.id.in_(chunk)))
            previous.update((factura_id, saldo) for factura_id, saldo in rows.tuples())
        return [
            (payment, previous[payment.factura_id])
            for payment in candidates
            if payment.factura_id in previous and payment.saldo < previous[payment.factura_id]
        ]

    def _announce_payment(self, payment: _Payment, previous: Decimal) -> None:
        emit(
            self.session,
            name="pago.registrado",
            tenant_id=self.org.tenant_id,
            payload={
                "pagoId": str(uuid.uuid4()),
                "facturaId": str(payment.factura_id),
                "folio": payment.folio,
                "clienteId": str(payment.cliente_id),
                "clave": payment.clave,
                "empresaId": self.empresa,
                "monto": str(previous - payment.saldo),
                "saldoAnterior": str(previous),
                "saldo": str(payment.saldo),
                "syncId": self.sync_id,
            },
        )

    def _new_invoice(self, folio: str, values: dict[str, Any], *, notified: bool) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "tenant_id": self.org.tenant_id,
            "empresa_id": self.empresa,
            "folio": folio,
            **values,
            "overdue_notified": notified,
            "created_at": self.now,
            "updated_at": self.now,
        }

    async def _close(self, invoice_ids: Sequence[uuid.UUID]) -> None:
        self.stats.cerradas = len(invoice_ids)
        for chunk in _chunks(invoice_ids):
            await self.session.execute(
                update(Factura)
                .where(Factura.id.in_(chunk))
                .values(status=PAID, saldo=Decimal("0.00"), closed_at=self.now, updated_at=self.now)
                .execution_options(synchronize_session=False)
            )

    async def _update(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        for row in rows:  # few rows change between syncs; each UPDATE is tenant-scoped by the session
            values = {key: value for key, value in row.items() if key != "id"}
            await self.session.execute(
                update(model)
                .where(model.id == row["id"])
                .values(**values)
                .execution_options(synchronize_session=False)
            )


async def empresa_totals(
    session: AsyncSession, *, empresa_id: str | None, today: int
) -> tuple[Decimal, Decimal]:
    """(open balance, overdue balance) of the tenant, or of one empresa, in SQL."""
    overdue = func.sum(Factura.saldo).filter(Factura.vencimiento_dia < today)
    query = select(func.sum(Factura.saldo), overdue).where(Factura.status == OPEN)
    if empresa_id is not None:
        query = query.where(Factura.empresa_id == empresa_id)
    total, vencida = (await session.execute(query)).one()
    return total or Decimal("0.00"), vencida or Decimal("0.00")


async def _store_snapshot(session: AsyncSession, org: Organization, empresa_id: str) -> None:
    total, vencida = await empresa_totals(session, empresa_id=empresa_id, today=org.today_number)
    snapshot = await session.scalar(
        select(CarteraSnapshot).where(
            CarteraSnapshot.empresa_id == empresa_id, CarteraSnapshot.taken_on == org.today
        )
    )
    if snapshot is None:
        session.add(CarteraSnapshot(empresa_id=empresa_id, taken_on=org.today, total=total, vencida=vencida))
    else:
        snapshot.total, snapshot.vencida = total, vencida


async def _touch_state(session: AsyncSession, connector_id: uuid.UUID, now: datetime, status: str) -> None:
    state = await session.get(ConnectorState, connector_id)
    if state is None:
        state = ConnectorState(connector_id=connector_id)
        session.add(state)
    state.last_sync_at = now
    state.last_sync_status = status


async def _connector(session: AsyncSession, connector_id: uuid.UUID, empresa_id: str) -> Connector:
    connector = await session.get(Connector, connector_id)
    if connector is None:
        raise RuntimeError("a sync needs the authenticated connector")
    check_empresa(connector, empresa_id)
    return connector


async def apply_snapshot(
    session: AsyncSession, *, connector_id: uuid.UUID, request: SyncRequest
) -> SyncOutcome:
    """Apply a validated snapshot whose checksum was verified, in the caller's transaction."""
    await _connector(session, connector_id, request.empresa_id)
    org = await current_organization(session)
    outcome = SyncOutcome(sync_id=new_sync_id(), processed_at=clock.now(), stats=SyncStats())
    writer = _Writer(session, org, request, outcome.processed_at, outcome.sync_id)
    await writer.clients()
    await writer.invoices()
    outcome = SyncOutcome(outcome.sync_id, outcome.processed_at, writer.stats)
    await _finish(session, org, connector_id, request, outcome)
    return outcome


async def is_replay(session: AsyncSession, envelope: SyncEnvelope, checksum: str) -> bool:
    """Whether a snapshot whose data hashes to `checksum` (verified) is the one the last completed
    sync of its empresa applied, with the same `tipo`: applying it again would change nothing."""
    last = await session.execute(
        select(SyncRun.checksum, SyncRun.full_snapshot)
        .where(SyncRun.empresa_id == envelope.empresa_id, SyncRun.status == COMPLETED)
        .order_by(SyncRun.processed_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
    row = last.first()
    return row is not None and row.checksum == checksum and row.full_snapshot == (envelope.tipo == "completo")


async def apply_replay(
    session: AsyncSession, *, connector_id: uuid.UUID, envelope: SyncEnvelope, clientes: int, facturas: int
) -> SyncOutcome:
    """Record a replayed snapshot (see `is_replay`): nothing in the portfolio changes; the sync run,
    today's totals, the connector's last sync and `sync.completado` are written as for any sync."""
    await _connector(session, connector_id, envelope.empresa_id)
    org = await current_organization(session)
    stats = SyncStats(clientes=clientes, facturas=facturas, sin_cambios=facturas)
    outcome = SyncOutcome(sync_id=new_sync_id(), processed_at=clock.now(), stats=stats)
    await _finish(session, org, connector_id, envelope, outcome)
    return outcome


async def _finish(
    session: AsyncSession,
    org: Organization,
    connector_id: uuid.UUID,
    request: SyncEnvelope,
    outcome: SyncOutcome,
) -> None:
    await _store_snapshot(session, org, request.empresa_id)
    await _touch_state(session, connector_id, outcome.processed_at, "success")
    session.add(
        SyncRun(
            id=outcome.sync_id,
            connector_id=connector_id,
            empresa_id=request.empresa_id,
            status=COMPLETED,
            full_snapshot=request.tipo == "completo",
            checksum=request.checksum.strip().lower().removeprefix("sha256:"),
            stats=outcome.stats.wire(),
            reported_at=request.timestamp,
            processed_at=outcome.processed_at,
        )
    )
    emit(
        session,
        name="sync.completado",
        tenant_id=org.tenant_id,
        payload=_event(outcome, request, connector_id),
    )


def _event(outcome: SyncOutcome, request: SyncEnvelope, connector_id: uuid.UUID) -> dict[str, Any]:
    return {
        "syncId": outcome.sync_id,
        "connectorId": str(connector_id),
        "empresaId": request.empresa_id,
        "processedAt": outcome.processed_at.isoformat().replace("+00:00", "Z"),
        "stats": outcome.stats.wire(),
    }


@dataclass(frozen=True, slots=True)
class SyncFailure:
    tenant_id: int
    connector_id: uuid.UUID
    empresa_id: str | None
    checksum: str | None
    code: str
    message: str


async def record_sync_failure(database: Database, failure: SyncFailure) -> str:
    """Keep a failed sync (and announce `sync.fallido`) in a transaction of its own: the request's
    transaction rolls back, so none of the snapshot is written. Inside a request the write waits
    until the request's transaction is over (on SQLite it holds the only write lock)."""
    sync_id, now = new_sync_id(), clock.now()

    async def write() -> None:
        async with database.transaction() as session:
            allow_all_tenants(session, reason="a failed sync is recorded for its connector's tenant")
            session.add(
                SyncRun(
                    id=sync_id,
                    tenant_id=failure.tenant_id,
                    connector_id=failure.connector_id,
                    empresa_id=(failure.empresa_id or "")[:32],
                    status=FAILED,
                    checksum=(failure.checksum or "")[:64],
                    error=f"{failure.code}: {failure.message}"[:2000],
                    processed_at=now,
                )
            )
            emit(
                session,
                name="sync.fallido",
                tenant_id=failure.tenant_id,
                payload=_failure_event(sync_id, failure, now),
            )

    if not defer_until_request_ends(write):
        await write()
    return sync_id


def _failure_event(sync_id: str, failure: SyncFailure, now: datetime) -> dict[str, Any]:
    return {
        "syncId": sync_id,
        "connectorId": str(failure.connector_id),
        "empresaId": failure.empresa_id,
        "error": {"code": failure.code, "message": failure.message},
        "processedAt": now.isoformat().replace("+00:00", "Z"),
    }


async def last_sync_at(session: AsyncSession, *, empresa_id: str | None = None) -> datetime | None:
    query = select(func.max(SyncRun.processed_at)).where(SyncRun.status == COMPLETED)
    if empresa_id is not None:
        query = query.where(SyncRun.empresa_id == empresa_id)
    value: datetime | None = await session.scalar(query)
    return value
