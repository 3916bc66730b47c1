"""crm §2 user management and agent status through HTTP, on the real database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.credentials.builders import make_client
from tests.crm.support import BASE, Caller, caller
from tests.identity_support import DEFAULT_PASSWORD, auth_headers, create_user, issue_token

from nexo.core.audit import AuditRecord
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials.models import OAuthGrant
from nexo.crm.agents.models import AgentStatusChange
from nexo.identity.models import LoginSession, User
from nexo.identity.permissions import DEFAULT_TENANT_ROLES

USERS_PERMISSIONS = ("users.read", "users.create", "users.update", "users.delete", "users.status")
AGENT_PERMISSIONS = next(
    t.permissions for t in DEFAULT_TENANT_ROLES if (t.surface, t.name) == ("crm", "agent")
)
STRONG = "a long enough passphrase 42"


@pytest.fixture
async def admin(database: Database, settings: Settings) -> Caller:
    return await caller(database, settings)


async def _audits(database: Database, action: str) -> list[AuditRecord]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the audit trail")
        query = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        return list(await session.scalars(query))


async def _grant_for(database: Database, admin: Caller, user: User) -> str:
    """An OAuth grant the user approved for a tasks client (as the authorization-code flow makes)."""
    issued = await make_client(
        database,
        admin.tenant,
        surface="tasks",
        scopes=["tasks:read"],
        redirect_uris=["http://127.0.0.1:8765/cb"],
    )
    async with database.transaction(tenant_id=admin.tenant.id) as session:
        grant = OAuthGrant(id=uuid.uuid4().hex, client_pk=issued.client.id, user_id=str(user.id), scopes=[])
        session.add(grant)
    return grant.id


async def _create(client: httpx.AsyncClient, who: Caller, **fields: Any) -> httpx.Response:
    body = {"email": "maria@empresa.com", "password": STRONG, "first_name": "María", "role": "agent"}
    return await client.post(f"{BASE}/users", json={**body, **fields}, headers=who.headers)


async def _login(client: httpx.AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    return await client.post(f"{BASE}/auth/login", json={"email": email, "password": password})


async def test_list_filters_searches_and_paginates(
    client: httpx.AsyncClient, database: Database, admin: Caller
) -> None:
    tenant = admin.tenant
    juan = await create_user(database, tenant=tenant, role="agent", first_name="JUAN", last_name="Pérez")
    await create_user(database, tenant=tenant, role="agent", first_name="Ana", email="ana.juanes@x.com")
    await create_user(database, tenant=tenant, role="agent", first_name="Luz", status="suspended")
    await create_user(database, tenant=tenant, role="supervisor", first_name="Sara")
    collector = await create_user(database, tenant=tenant, surface="collections", role="collector")

    listed = await client.get(f"{BASE}/users", params={"limit": 2, "page": 2}, headers=admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["meta"] == {"current_page": 2, "per_page": 2, "total": 5, "total_pages": 3}
    everyone = await client.get(f"{BASE}/users", headers=admin.headers)
    assert collector.id not in [user["id"] for user in everyone.json()["data"]]
    first = next(user for user in everyone.json()["data"] if user["id"] == juan.id)
    assert first == {
        "id": juan.id,
        "email": juan.email,
        "first_name": "JUAN",
        "last_name": "Pérez",
        "phone": None,
        "avatar_url": None,
        "role": {"id": juan.role_id, "name": "agent", "display_name": "Agente"},
        "status": "active",
        "agent_status": "offline",
        "max_concurrent_chats": 5,
        "created_at": first["created_at"],
        "last_login_at": None,
    }

    async def names(**params: str) -> list[str]:
        response = await client.get(f"{BASE}/users", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return sorted(user["first_name"] for user in response.json()["data"])

    assert await names(role="agent", status="active") == ["Ana", "JUAN"]
    assert await names(status="suspended") == ["Luz"]
    assert await names(search="juan") == ["Ana", "JUAN"]  # first name, and the email of Ana
    assert await names(search="juan pé") == ["JUAN"]  # the full name
    assert await names(search="100%") == []  # LIKE wildcards are literal
    assert await names(role="supervisor") == ["Sara"]
    bad = await client.get(f"{BASE}/users", params={"status": "gone"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_get_shows_campaigns_and_the_roles_permissions(
    client: httpx.AsyncClient, database: Database, admin: Caller
) -> None:
    agent = await create_user(database, tenant=admin.tenant, role="agent")
    campaign = await client.post(
        f"{BASE}/campaigns",
        json={"name": "Campaña Ventas", "code": "VENTAS", "priority": 7},
        headers=admin.headers,
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    assigned = await client.post(
        f"{BASE}/campaigns/{campaign_id}/agents",
        json={"agents": [{"user_id": agent.id}]},
        headers=admin.headers,
    )
    assert assigned.status_code == 200, assigned.text

    response = await client.get(f"{BASE}/users/{agent.id}", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["campaigns"] == [{"id": campaign_id, "name": "Campaña Ventas", "priority": 7}]
    assert body["permissions"] == sorted(AGENT_PERMISSIONS)
    assert (body["agent_status"], body["agent_status_reason"], body["auto_assign_enabled"]) == (
        "offline",
        None,
        True,
    )
    assert (await client.get(f"{BASE}/users/999999", headers=admin.headers)).status_code == 404
    me = await client.get(f"{BASE}/users/me", headers=admin.headers)
    assert me.status_code == 200 and me.json()["id"] == admin.user.id


async def test_create_checks_email_password_and_role(
    client: httpx.AsyncClient, database: Database, admin: Caller
) -> None:
    created = await _create(
        client, admin, email="Maria@Empresa.com", phone="+573009876543", max_concurrent_chats=3
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "email", "first_name", "last_name", "role", "created_at"}
    assert (body["email"], body["role"]["name"]) == ("maria@empresa.com", "agent")
    detail = (await client.get(f"{BASE}/users/{body['id']}", headers=admin.headers)).json()
    assert (detail["phone"], detail["max_concurrent_chats"]) == ("+573009876543", 3)
    assert (await _login(client, "maria@empresa.com", STRONG)).status_code == 200

    duplicate = await _create(client, admin, email="MARIA@empresa.com")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "EMAIL_TAKEN"
    weak = await _create(client, admin, email="weak@empresa.com", password="123")
    assert weak.status_code == 422 and weak.json()["error"]["details"][0]["field"] == "password"
    unknown_role = await _create(client, admin, email="r@empresa.com", role=None, role_id=999999)
    assert unknown_role.status_code == 422 and "role_id" in unknown_role.text
    collections_role = await _create(client, admin, email="c@empresa.com", role="collector")
    assert collections_role.status_code == 422
    by_id = await _create(client, admin, email="sup@empresa.com", role=None, role_id=detail["role"]["id"])
    assert by_id.status_code == 201, by_id.text
    extra = await _create(client, admin, email="x@empresa.com", is_admin=True)
    assert extra.status_code == 422

    record = (await _audits(database, "user.created"))[0]
    assert record.changes["email"] == {"from": None, "to": "maria@empresa.com"}
    assert record.changes["max_concurrent_chats"]["to"] == 3
    assert STRONG not in str(record.changes) and "password" not in record.changes


async def test_a_role_cannot_be_granted_beyond_the_callers_permissions(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    limited = await caller(database, settings, tenant=admin.tenant, role="hr", permissions=["users.create"])
    refused = await _create(client, limited, role="admin")
    assert refused.status_code == 403
    assert (await client.get(f"{BASE}/users", headers=admin.headers)).json()["meta"]["total"] == 2


async def test_update_changes_the_fields_sent_and_deactivation_signs_out(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    agent = await create_user(database, tenant=admin.tenant, role="agent", first_name="Juan")
    token = await issue_token(database, settings, agent, surface="crm")
    changed = await client.put(
        f"{BASE}/users/{agent.id}",
        json={"last_name": "González", "max_concurrent_chats": 7, "auto_assign_enabled": False},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["first_name"], body["last_name"], body["max_concurrent_chats"]) == ("Juan", "González", 7)
    assert body["auto_assign_enabled"] is False
    assert (await client.get(f"{BASE}/users/me", headers=auth_headers(token))).status_code == 200

    nulled = await client.put(f"{BASE}/users/{agent.id}", json={"first_name": None}, headers=admin.headers)
    assert nulled.status_code == 422
    suspended = await client.put(
        f"{BASE}/users/{agent.id}", json={"status": "suspended"}, headers=admin.headers
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert (await client.get(f"{BASE}/users/me", headers=auth_headers(token))).status_code == 401
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads sessions")
        revoked = await session.scalars(
            select(LoginSession.revoked_reason).where(LoginSession.user_id == agent.id)
        )
        assert list(revoked) == ["user_deactivated"]

    updates = await _audits(database, "user.updated")
    assert updates[0].changes == {
        "auto_assign_enabled": {"from": True, "to": False},
        "last_name": {"from": "User", "to": "González"},
        "max_concurrent_chats": {"from": 5, "to": 7},
    }
    assert updates[-1].changes == {"status": {"from": "active", "to": "suspended"}}
    self_suspend = await client.put(
        f"{BASE}/users/{admin.user.id}", json={"status": "inactive"}, headers=admin.headers
    )
    assert self_suspend.status_code == 409


async def test_soft_delete_hides_the_user_and_refuses_their_login(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    agent = await create_user(database, tenant=admin.tenant, role="agent")
    token = await issue_token(database, settings, agent, surface="crm")
    grant_id = await _grant_for(database, admin, agent)
    gone = await client.delete(f"{BASE}/users/{agent.id}", headers=admin.headers)
    assert gone.status_code == 204
    assert (await client.get(f"{BASE}/users/{agent.id}", headers=admin.headers)).status_code == 404
    assert (await client.delete(f"{BASE}/users/{agent.id}", headers=admin.headers)).status_code == 404
    listed = await client.get(f"{BASE}/users", headers=admin.headers)
    assert agent.id not in [user["id"] for user in listed.json()["data"]]
    assert (await _login(client, agent.email)).status_code == 401
    assert (await client.get(f"{BASE}/users/me", headers=auth_headers(token))).status_code == 401
    (record,) = await _audits(database, "user.deleted")
    assert record.entity_id == str(agent.id) and record.changes["status"] == {
        "from": "active",
        "to": "deleted",
    }

    async with database.transaction(tenant_id=admin.tenant.id) as session:
        grant = await session.get(OAuthGrant, grant_id)
        assert grant is not None and grant.revoked_at is not None  # its client's tokens die with it

    again = await _create(client, admin, email=agent.email)
    assert again.status_code == 201, again.text  # the address is free again
    itself = await client.delete(f"{BASE}/users/{admin.user.id}", headers=admin.headers)
    assert itself.status_code == 409


async def test_agent_status_changes_are_kept_as_periods(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    agent = await create_user(database, tenant=admin.tenant, role="agent")
    other = await create_user(database, tenant=admin.tenant, role="agent")
    own = auth_headers(await issue_token(database, settings, agent, surface="crm"))
    path = f"{BASE}/users/{agent.id}/agent-status"

    paused = await client.post(
        path, json={"agent_status": "paused", "agent_status_reason": "Almuerzo"}, headers=own
    )
    assert paused.status_code == 200, paused.text
    body = paused.json()
    assert set(body) == {"id", "agent_status", "agent_status_reason", "updated_at"}
    assert (body["id"], body["agent_status"], body["agent_status_reason"]) == (agent.id, "paused", "Almuerzo")
    back = await client.post(path, json={"agent_status": "available"}, headers=admin.headers)
    assert back.status_code == 200 and back.json()["agent_status_reason"] is None
    same = await client.post(path, json={"agent_status": "available"}, headers=own)
    assert same.status_code == 200

    detail = (await client.get(f"{BASE}/users/{agent.id}", headers=admin.headers)).json()
    assert (detail["agent_status"], detail["agent_status_reason"]) == ("available", None)
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test reads the status history")
        periods = list(
            await session.scalars(
                select(AgentStatusChange)
                .where(AgentStatusChange.user_id == agent.id)
                .order_by(AgentStatusChange.id)
            )
        )
    assert [(p.status, p.reason) for p in periods] == [("paused", "Almuerzo"), ("available", None)]
    assert periods[0].ended_at == periods[1].started_at and periods[1].ended_at is None
    assert periods[0].changed_by == f"user:{agent.id}" and periods[1].changed_by == f"user:{admin.user.id}"
    audits = await _audits(database, "user.agent_status_changed")
    assert [a.changes["agent_status"]["to"] for a in audits] == ["paused", "available"]

    meddling = await client.post(
        f"{BASE}/users/{other.id}/agent-status", json={"agent_status": "busy"}, headers=own
    )
    assert meddling.status_code == 403
    invalid = await client.post(path, json={"agent_status": "sleeping"}, headers=own)
    assert invalid.status_code == 422
    await client.put(f"{BASE}/users/{agent.id}", json={"status": "inactive"}, headers=admin.headers)
    inactive = await client.post(path, json={"agent_status": "available"}, headers=admin.headers)
    assert inactive.status_code == 409
    detail = (await client.get(f"{BASE}/users/{agent.id}", headers=admin.headers)).json()
    assert detail["agent_status"] == "offline"  # deactivation took the agent out of routing


ROUTES: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("users.read", "GET", "/users", None),
    ("users.read", "GET", "/users/{id}", None),
    (
        "users.create",
        "POST",
        "/users",
        {"email": "n@x.com", "password": STRONG, "first_name": "N", "role": "agent"},
    ),
    ("users.update", "PUT", "/users/{id}", {"first_name": "New"}),
    ("users.delete", "DELETE", "/users/{id}", None),
    ("users.status", "POST", "/users/{id}/agent-status", {"agent_status": "busy"}),
]


@pytest.mark.parametrize(("missing", "method", "path", "body"), ROUTES, ids=[r[0] + r[2] for r in ROUTES])
async def test_each_route_needs_its_permission(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    admin: Caller,
    missing: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    granted = [p for p in USERS_PERMISSIONS if p != missing]
    limited = await caller(database, settings, tenant=admin.tenant, role="limited", permissions=granted)
    target = await create_user(database, tenant=admin.tenant, role="agent")
    url = BASE + path.format(id=target.id)
    refused = await client.request(method, url, json=body, headers=limited.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    allowed = await client.request(method, url, json=body, headers=admin.headers)
    assert allowed.status_code < 300, allowed.text


async def test_another_tenants_users_are_not_found(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    stranger = await caller(database, settings)
    foreign = stranger.user.id
    assert (await client.get(f"{BASE}/users/{foreign}", headers=admin.headers)).status_code == 404
    put = await client.put(f"{BASE}/users/{foreign}", json={"first_name": "X"}, headers=admin.headers)
    assert put.status_code == 404
    status = await client.post(
        f"{BASE}/users/{foreign}/agent-status", json={"agent_status": "busy"}, headers=admin.headers
    )
    assert status.status_code == 404
    assert (await client.delete(f"{BASE}/users/{foreign}", headers=admin.headers)).status_code == 404
    listed = await client.get(f"{BASE}/users", params={"limit": 100}, headers=admin.headers)
    assert foreign not in [user["id"] for user in listed.json()["data"]]
    assert (await client.get(f"{BASE}/users/me", headers=stranger.headers)).json()["first_name"] == "Test"
