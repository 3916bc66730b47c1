"""The audit trail: changes recorded from → to, with the request's origin, in or out of the
caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.audit import AuditRecord, diff_changes, record_audit, record_audit_detached
from nexo.core.db.session import Database
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.core.tenancy import allow_all_tenants, scope_to_tenant
from nexo.surfaces.base import surface_router
from nexo.tenants.models import Tenant


def test_diff_lists_only_changed_fields_as_plain_values() -> None:
    before = {"status": "pending", "amount": Decimal("10.00"), "title": "same"}
    after = {
        "status": "completed",
        "amount": Decimal("12.50"),
        "title": "same",
        "closed_at": datetime(2026, 1, 2, tzinfo=UTC),
    }
    assert diff_changes(before, after) == {
        "amount": {"from": "10.00", "to": "12.50"},
        "closed_at": {"from": None, "to": "2026-01-02T00:00:00+00:00"},
        "status": {"from": "pending", "to": "completed"},
    }


async def all_records(database: Database) -> list[AuditRecord]:
    async with database.session() as session:
        allow_all_tenants(session, reason="test reads the whole trail")
        return list((await session.scalars(select(AuditRecord).order_by(AuditRecord.id))).all())


async def test_record_commits_and_rolls_back_with_its_change(database: Database) -> None:
    async with database.transaction() as session:
        tenant = Tenant(slug="acme", name="Acme")
        session.add(tenant)
        await session.flush()
        tenant_id = tenant.id
    async with database.transaction(tenant_id=tenant_id) as session:
        record_audit(
            session, actor_type="user", actor_id="7", action="task.update", entity_type="Task", entity_id=1
        )
    with pytest.raises(RuntimeError):
        async with database.transaction(tenant_id=tenant_id) as session:
            record_audit(session, actor_type="user", actor_id="7", action="task.delete", entity_type="Task")
            raise RuntimeError("the change failed")
    await record_audit_detached(
        database,
        tenant_id=tenant_id,
        actor_type="user",
        actor_id="7",
        action="auth.login",
        entity_type="User",
    )
    records = await all_records(database)
    assert [(r.action, r.success, r.tenant_id) for r in records] == [
        ("task.update", True, tenant_id),
        ("auth.login", False, tenant_id),
    ]


async def test_request_origin_is_recorded(make_app: object) -> None:
    router = surface_router()

    @router.post("/audited", status_code=204)
    async def audited(session: SessionDep, runtime: RuntimeDep) -> None:
        tenant = Tenant(slug="via-http", name="Via HTTP")
        session.add(tenant)
        await session.flush()
        scope_to_tenant(session, tenant.id)
        record_audit(
            session,
            actor_type="user",
            actor_id="42",
            action="tenant.rename",
            entity_type="Tenant",
            entity_id=tenant.id,
            changes=diff_changes({"name": "Old"}, {"name": "Via HTTP"}),
        )

    application: NexoApplication = make_app(extra_routers={"platform": [router]})  # type: ignore[operator]
    async with http_client(application) as client:
        response = await client.post(
            "/api/audited", headers={"User-Agent": "audit-test/1.0", "X-Request-Id": "audit-req-1"}
        )
    assert response.status_code == 204
    [record] = await all_records(application.runtime.database)
    assert record.user_agent == "audit-test/1.0"
    assert record.request_id == "audit-req-1"
    assert record.ip == "127.0.0.1"
    assert record.changes == {"name": {"from": "Old", "to": "Via HTTP"}}
