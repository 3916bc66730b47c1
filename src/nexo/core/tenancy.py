"""The one tenant-scoping mechanism.

Every model that belongs to a tenant inherits `TenantOwned`. A session carries a tenant context
(set once, by whoever authenticated the caller); from then on:

- every ORM SELECT, UPDATE and DELETE touching a tenant-owned model gets `tenant_id = :tenant`
  added through `with_loader_criteria`, joins and relationship loads included;
- every new tenant-owned object is stamped with the tenant on flush, and an object stamped with a
  different tenant, or moved to another tenant, is refused.

A session with no tenant context that touches a tenant-owned model raises `TenantContextMissing`
instead of returning every tenant's rows. Code that must see all tenants (platform owners, workers,
migrations) says so explicitly with `allow_all_tenants(session, reason=...)`.

Endpoints never filter by tenant by hand; a test greps the source to keep it that way.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable, ForeignKey, Table, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.orm.util import LoaderCriteriaOption
from sqlalchemy.sql import visitors

_TENANT_KEY = "nexo_tenant_id"
_ALL_TENANTS_KEY = "nexo_all_tenants_reason"


class TenantContextMissing(RuntimeError):
    """A tenant-owned model was queried or written by a session that has no tenant context."""


class CrossTenantWrite(RuntimeError):
    """An object was stamped with, or moved to, a tenant other than the session's."""


_tenant_classes: list[type] = []


class TenantOwned:
    """Mixin for rows that belong to exactly one tenant."""

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _tenant_classes.append(cls)


def scope_to_tenant(session: Session | Any, tenant_id: int) -> None:
    """Bind the session (sync or async) to one tenant for the rest of its life."""
    info = _info(session)
    existing = info.get(_TENANT_KEY)
    if existing is not None and existing != tenant_id:
        raise CrossTenantWrite(f"session already scoped to tenant {existing}, not {tenant_id}")
    info.pop(_ALL_TENANTS_KEY, None)
    info[_TENANT_KEY] = tenant_id


def allow_all_tenants(session: Session | Any, *, reason: str) -> None:
    """Let the session see every tenant. `reason` is kept for debugging and must say who needs it."""
    if not reason:
        raise ValueError("say why this session may see every tenant")
    info = _info(session)
    info.pop(_TENANT_KEY, None)
    info[_ALL_TENANTS_KEY] = reason


def current_tenant_id(session: Session | Any) -> int | None:
    tenant: int | None = _info(session).get(_TENANT_KEY)
    return tenant


def _info(session: Session | Any) -> dict[str, Any]:
    # AsyncSession proxies `.info` to its sync session, so both kinds work here.
    info: dict[str, Any] = session.info
    return info


_tables_cache: tuple[int, dict[Table, str]] = (-1, {})


def _tenant_tables() -> dict[Table, str]:
    """Every tenant-owned table and its model's name; rebuilt only when a model class was added."""
    global _tables_cache
    known, tables = _tables_cache
    if known != len(_tenant_classes):
        tables = {}
        for cls in _tenant_classes:
            table = getattr(cls, "__table__", None)
            if isinstance(table, Table):
                tables[table] = cls.__name__
        _tables_cache = (len(_tenant_classes), tables)
    return tables


def _tenant_models(state: ORMExecuteState) -> list[str]:
    """Names of the tenant-owned models a statement touches anywhere: selected columns, FROM and
    JOIN clauses, subqueries, EXISTS, UPDATE/DELETE targets. (`ORMExecuteState.all_mappers` only
    sees the top-level entities, which would let `select(func.count()).select_from(Model)` through;
    it is enough, though, to know that a statement needs the criteria, and it costs nothing, while
    the full walk is a good part of a simple request's CPU — so the walk is for the other cases.)
    """
    owned = sorted({m.class_.__name__ for m in state.all_mappers if issubclass(m.class_, TenantOwned)})
    if owned:
        return owned
    tenant_tables = _tenant_tables()
    found: set[str] = set()
    for element in visitors.iterate(state.statement):  # type: ignore[arg-type]  # every statement is traversible
        table = element if isinstance(element, Table) else getattr(element, "table", None)
        if isinstance(table, Table) and table in tenant_tables:
            found.add(tenant_tables[table])
    return sorted(found)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    scoping = _scopings.get(state.statement)
    if scoping is None:
        scoping = _scopings[state.statement] = _StatementScoping(_tenant_models(state))
    if not scoping.models:
        return
    info = state.session.info
    if info.get(_ALL_TENANTS_KEY):
        return
    tenant_id = info.get(_TENANT_KEY)
    if tenant_id is None:
        raise TenantContextMissing(
            f"query on {', '.join(scoping.models)} without a tenant context; "
            "call scope_to_tenant() or allow_all_tenants()"
        )
    state.statement = scoping.for_tenant(state.statement, tenant_id)


@dataclass(slots=True)
class _StatementScoping:
    """What scoping learned about one statement object: the tenant-owned models it touches, and its
    scoped copy for each tenant. A statement built once (a module constant with bind parameters) is
    thus walked once and scoped once per tenant, and SQLAlchemy computes the copy's cache key once
    instead of on every execution."""

    models: list[str]
    copies: dict[int, Executable] = field(default_factory=dict)

    def for_tenant(self, statement: Executable, tenant_id: int) -> Executable:
        scoped = self.copies.get(tenant_id)
        if scoped is None:
            scoped = self.copies[tenant_id] = statement.options(_tenant_criteria(tenant_id))
        return scoped


# Weak keys: a statement built for one request takes its entry with it (a scoped copy does not
# refer back to the original, so it does not keep it alive).
_scopings: weakref.WeakKeyDictionary[Executable, _StatementScoping] = weakref.WeakKeyDictionary()


@functools.lru_cache(maxsize=4096)
def _tenant_criteria(tenant_id: int) -> LoaderCriteriaOption:
    """The criteria option of one tenant, built once: building it (the lambda's analysis) cost more
    than the rest of scoping a statement. The option is immutable, so sharing it is safe."""
    return with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)


@event.listens_for(Session, "before_flush")
def _stamp_new_objects(session: Session, flush_context: Any, instances: Any) -> None:
    all_tenants = bool(session.info.get(_ALL_TENANTS_KEY))
    tenant_id = session.info.get(_TENANT_KEY)
    for obj in session.new:
        if isinstance(obj, TenantOwned):
            _stamp(obj, tenant_id, all_tenants)
    for obj in session.dirty:
        if isinstance(obj, TenantOwned) and get_history(obj, "tenant_id").deleted:
            raise CrossTenantWrite(f"{type(obj).__name__} cannot move to another tenant")


def _stamp(obj: TenantOwned, tenant_id: int | None, all_tenants: bool) -> None:
    name = type(obj).__name__
    if all_tenants:
        if obj.tenant_id is None and not _tenant_optional(obj):
            raise TenantContextMissing(f"new {name} needs an explicit tenant_id in an all-tenants session")
        return
    if tenant_id is None:
        raise TenantContextMissing(f"new {name} created without a tenant context")
    if obj.tenant_id is None:
        obj.tenant_id = tenant_id
    elif obj.tenant_id != tenant_id:
        raise CrossTenantWrite(f"new {name} stamped with tenant {obj.tenant_id}, session is {tenant_id}")


def _tenant_optional(obj: object) -> bool:
    return bool(getattr(type(obj), "__tenant_optional__", False))
