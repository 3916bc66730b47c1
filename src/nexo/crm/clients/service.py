"""Clients: create, read, update, delete, tags. Every change is audited; nothing here commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.errors import Conflict, ErrorDetail, NotFound
from nexo.core.tenancy import current_tenant_id
from nexo.crm.clients.fields import FieldProblem, check_fields, normalise_tag
from nexo.crm.clients.models import Client, ClientTag, ClientTotal
from nexo.crm.text import search_text

AUDITED = (
    "phone_number",
    "first_name",
    "last_name",
    "email",
    "company",
    "city",
    "country",
    "address",
    "lead_status",
    "lead_score",
    "segment",
    "custom_fields",
    "notes",
    "is_blocked",
    "opt_in",
)


def refresh_search_text(client: Client) -> None:
    client.search_text = search_text(
        first_name=client.first_name,
        last_name=client.last_name,
        email=client.email,
        phone=client.phone_number,
    )


def duplicate_phone(phone: str) -> Conflict:
    return Conflict(
        "A client with this phone number already exists.",
        code="DUPLICATE_PHONE",
        details=[ErrorDetail("phone_number", f"{phone} is already a client")],
    )


_MOVE_TOTAL = update(ClientTotal).values(clients=ClientTotal.clients + bindparam("delta", type_=Integer))


async def adjust_total(session: AsyncSession, delta: int) -> None:
    """Move the tenant's client count by `delta`, in the caller's transaction (an atomic increment,
    so concurrent writers never lose an update)."""
    if delta == 0:
        return
    result = await session.execute(_MOVE_TOTAL, {"delta": delta})
    if getattr(result, "rowcount", 0):
        return
    # The tenant's first client: the row does not exist yet. Count once (the count includes rows
    # this transaction inserted), then keep the row in step from here on.
    count = await session.scalar(select(func.count()).select_from(Client))
    try:
        async with session.begin_nested():
            session.add(ClientTotal(tenant_id=current_tenant_id(session), clients=int(count or 0)))
    except IntegrityError:
        # Another transaction created the row first; its count did not include our change.
        await session.execute(_MOVE_TOTAL, {"delta": delta})


# Statements of the hot read paths, built once: see nexo.core.tenancy for why that is cheaper.
_CLIENT_BY_ID = select(Client).where(Client.id == bindparam("client_id"))
_TAGS_OF = (
    select(ClientTag.client_id, ClientTag.tag)
    .where(ClientTag.client_id.in_(bindparam("client_ids", expanding=True)))
    .order_by(ClientTag.tag)
)


async def get_client(session: AsyncSession, client_id: int) -> Client:
    client = await session.scalar(_CLIENT_BY_ID, {"client_id": client_id})
    if client is None:
        raise NotFound("The client does not exist.")
    return client


async def tags_of(session: AsyncSession, client_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(client_ids)
    tags: dict[int, list[str]] = {client_id: [] for client_id in ids}
    if not ids:
        return tags
    rows = await session.execute(_TAGS_OF, {"client_ids": ids})
    for client_id, tag in rows:
        tags[client_id].append(tag)
    return tags


async def create_client(
    session: AsyncSession, *, values: Mapping[str, Any], region: str, actor: Principal
) -> Client:
    try:
        cleaned = check_fields(values, region=region)
    except FieldProblem as problem:
        raise problem.as_validation() from problem
    tags = cleaned.pop("tags", [])
    phone = cleaned["phone_number"]
    client = Client(**cleaned)
    refresh_search_text(client)
    session.add(client)
    # No look-up first: the unique (tenant, phone) constraint answers a duplicate at the insert
    # (a 409, and the request's transaction is rolled back), one statement less per create.
    await _flush_or_conflict(session, phone)
    await _add_tags(session, client.id, tags)
    await adjust_total(session, 1)
    _audit(session, actor, "client.created", client, diff_changes({}, _snapshot(client) | {"tags": tags}))
    return client


async def update_client(
    session: AsyncSession, *, client_id: int, values: Mapping[str, Any], region: str, actor: Principal
) -> Client:
    client = await get_client(session, client_id)
    try:
        cleaned = check_fields(values, region=region)
    except FieldProblem as problem:
        raise problem.as_validation() from problem
    new_tags = cleaned.pop("tags", None)
    before = _snapshot(client)
    phone = cleaned.get("phone_number")
    if phone and phone != client.phone_number:
        clash = await session.scalar(
            select(Client.id).where(Client.phone_number == phone, Client.id != client.id)
        )
        if clash is not None:
            raise duplicate_phone(phone)
    for name, value in cleaned.items():
        setattr(client, name, value)
    refresh_search_text(client)
    await _flush_or_conflict(session, client.phone_number)
    changes = diff_changes(before, _snapshot(client))
    if new_tags is not None:
        old_tags = (await tags_of(session, [client.id]))[client.id]
        await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id))
        await _add_tags(session, client.id, new_tags)
        changes |= diff_changes({"tags": old_tags}, {"tags": sorted(new_tags)})
    _audit(session, actor, "client.updated", client, changes)
    return client


async def delete_client(session: AsyncSession, *, client_id: int, actor: Principal) -> None:
    client = await get_client(session, client_id)
    snapshot = _snapshot(client)
    await session.delete(client)
    await session.flush()
    await adjust_total(session, -1)
    _audit(session, actor, "client.deleted", client, diff_changes(snapshot, {}))


async def add_tag(session: AsyncSession, *, client_id: int, tag: str, actor: Principal) -> list[str]:
    client = await get_client(session, client_id)
    try:
        clean = normalise_tag(tag)
    except FieldProblem as problem:
        raise problem.as_validation() from problem
    current = (await tags_of(session, [client.id]))[client.id]
    if clean not in current:
        await _add_tags(session, client.id, [clean])
        _audit(
            session, actor, "client.tag_added", client, {"tags": {"from": current, "to": [*current, clean]}}
        )
        current = sorted([*current, clean])
    return current


async def remove_tag(session: AsyncSession, *, client_id: int, tag: str, actor: Principal) -> list[str]:
    client = await get_client(session, client_id)
    try:
        clean = normalise_tag(tag)
    except FieldProblem as problem:
        raise problem.as_validation() from problem
    current = (await tags_of(session, [client.id]))[client.id]
    if clean not in current:
        raise NotFound(f"The client has no tag {clean!r}.")
    await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id, ClientTag.tag == clean))
    remaining = [item for item in current if item != clean]
    _audit(session, actor, "client.tag_removed", client, {"tags": {"from": current, "to": remaining}})
    return remaining


async def _add_tags(session: AsyncSession, client_id: int, tags: Iterable[str]) -> None:
    rows = [{"client_id": client_id, "tag": tag, "tenant_id": current_tenant_id(session)} for tag in tags]
    if rows:
        await session.execute(insert(ClientTag), rows)


async def _flush_or_conflict(session: AsyncSession, phone: str) -> None:
    """Flush; a concurrent insert of the same phone that won the race becomes a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise duplicate_phone(phone) from error


def _snapshot(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in AUDITED}


def _audit(
    session: AsyncSession, actor: Principal, action: str, client: Client, changes: dict[str, Any]
) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="Client",
        entity_id=client.id,
        changes=changes,
    )
