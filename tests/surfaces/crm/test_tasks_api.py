"""crm §8 over the shared tasks domain, and the same tasks seen through the tasks surface."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token
from tests.tasks.support import crm_token, outbox, tasks_token

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.identity.models import User
from nexo.tenants.models import Tenant

BASE = "/crm/v1/tasks"
SPEC_BODY = {
    "client_id": 45,
    "chat_id": 123,
    "title": "Llamar para renovación de contrato",
    "description": "Cliente está por vencer su plan anual",
    "due_date": "2025-11-15T10:00:00Z",
    "reminder_date": "2025-11-15T09:00:00Z",
    "priority": "high",
}


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    return await create_tenant(database)


@pytest.fixture
async def agent(database: Database, settings: Settings, tenant: Tenant) -> tuple[User, dict[str, str]]:
    user, token = await crm_token(database, settings, tenant)
    return user, auth_headers(token)


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(BASE, json={**SPEC_BODY, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_spec_body_creates_a_task(
    client: httpx.AsyncClient, agent: tuple[User, dict[str, str]]
) -> None:
    user, headers = agent
    task = await _create(client, headers, assigned_to_user_id=user.id)
    assert isinstance(task["id"], int)
    assert {key: task[key] for key in SPEC_BODY} == SPEC_BODY
    assert task["assigned_to_user_id"] == user.id
    assert task["created_by_user_id"] == user.id
    assert (task["status"], task["completion_notes"], task["completed_at"]) == ("pending", None, None)


async def test_the_list_filters_and_pages_with_crm_meta(
    client: httpx.AsyncClient, database: Database, tenant: Tenant, agent: tuple[User, dict[str, str]]
) -> None:
    user, headers = agent
    other = await create_user(database, tenant=tenant, role="agent")
    mine = await _create(client, headers, assigned_to_user_id=user.id)
    await _create(client, headers, assigned_to_user_id=other.id, priority="low")
    await _create(client, headers, assigned_to_user_id=user.id, priority="low")

    response = await client.get(
        BASE,
        params={
            "assigned_to_user_id": user.id,
            "status": "pending",
            "priority": "high",
            "page": 1,
            "limit": 20,
        },
        headers=headers,
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["data"]] == [mine["id"]]
    assert response.json()["meta"] == {"current_page": 1, "per_page": 20, "total": 1, "total_pages": 1}
    paged = (await client.get(BASE, params={"limit": 2, "page": 2}, headers=headers)).json()
    assert paged["meta"] == {"current_page": 2, "per_page": 2, "total": 3, "total_pages": 2}
    assert len(paged["data"]) == 1


async def test_update_complete_and_comment(
    client: httpx.AsyncClient, agent: tuple[User, dict[str, str]]
) -> None:
    user, headers = agent
    task = await _create(client, headers)
    url = f"{BASE}/{task['id']}"

    updated = await client.put(url, json={"status": "in_progress", "priority": "urgent"}, headers=headers)
    assert updated.status_code == 200
    assert (updated.json()["status"], updated.json()["priority"]) == ("in_progress", "urgent")
    assert updated.json()["title"] == SPEC_BODY["title"]  # fields not sent are kept

    completed = await client.post(
        f"{url}/complete", json={"completion_notes": "Cliente renovó contrato por 1 año más"}, headers=headers
    )
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    assert completed.json()["completion_notes"] == "Cliente renovó contrato por 1 año más"
    assert completed.json()["completed_at"] is not None
    assert (await client.post(f"{url}/complete", json={}, headers=headers)).status_code == 409

    comment = await client.post(f"{url}/comments", json={"content": "Enviar factura"}, headers=headers)
    assert comment.status_code == 201
    assert comment.json()["task_id"] == task["id"]
    assert comment.json()["content"] == "Enviar factura"
    assert comment.json()["user"] == {"id": user.id, "first_name": "Test", "last_name": "User"}

    detail = (await client.get(url, headers=headers)).json()
    assert [c["content"] for c in detail["comments"]] == ["Enviar factura"]
    assert detail["status"] == "completed"


async def test_illegal_moves_are_409_and_reopen_is_explicit(
    client: httpx.AsyncClient, agent: tuple[User, dict[str, str]]
) -> None:
    _, headers = agent
    task = await _create(client, headers)
    url = f"{BASE}/{task['id']}"
    assert (await client.put(url, json={"status": "cancelled"}, headers=headers)).status_code == 200
    refused = await client.post(f"{url}/complete", json={}, headers=headers)
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["error"]["message"]
    assert "completed" in refused.json()["error"]["message"]
    assert (await client.post(f"{url}/reopen", headers=headers)).json()["status"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": "critical"}, "priority"),
        ({"title": ""}, "title"),
        ({"due_date": "mañana"}, "due_date"),
        ({"client_id": 0}, "client_id"),
        ({"assigned_to_user_id": 999999}, "assigned_to_user_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, agent: tuple[User, dict[str, str]], body: dict[str, Any], field: str
) -> None:
    _, headers = agent
    response = await client.post(BASE, json={**SPEC_BODY, **body}, headers=headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]


async def test_users_need_the_tasks_permissions(
    client: httpx.AsyncClient, database: Database, settings: Settings, tenant: Tenant
) -> None:
    reader = await create_user(database, tenant=tenant, role="reader", permissions=["tasks.read"])
    headers = auth_headers(await issue_token(database, settings, reader, surface="crm"))
    assert (await client.get(BASE, headers=headers)).status_code == 200
    refused = await client.post(BASE, json=SPEC_BODY, headers=headers)
    assert refused.status_code == 403
    assert "tasks.write" in refused.json()["error"]["message"]


async def test_another_tenants_task_is_404(
    client: httpx.AsyncClient, database: Database, settings: Settings, agent: tuple[User, dict[str, str]]
) -> None:
    _, headers = agent
    task = await _create(client, headers)
    _, other = await crm_token(database, settings, await create_tenant(database))
    other_headers = auth_headers(other)
    for method, suffix, body in (
        ("GET", "", None),
        ("PUT", "", {"title": "x"}),
        ("POST", "/complete", {}),
        ("POST", "/comments", {"content": "x"}),
    ):
        response = await client.request(
            method, f"{BASE}/{task['id']}{suffix}", json=body, headers=other_headers
        )
        assert response.status_code == 404, (method, suffix)
    assert (await client.get(BASE, headers=other_headers)).json()["meta"]["total"] == 0


async def test_a_crm_task_shows_up_on_the_tasks_surface_and_fires_its_webhook(
    client: httpx.AsyncClient, database: Database, settings: Settings, tenant: Tenant, agent: tuple[User, Any]
) -> None:
    user, headers = agent
    task = await _create(client, headers, assigned_to_user_id=user.id)
    tasks_headers = auth_headers(await tasks_token(database, settings, tenant))

    response = await client.get(f"/tasks/v1/tasks/task_{task['id']:03d}", headers=tasks_headers)
    assert response.status_code == 200
    assert response.json()["title"] == SPEC_BODY["title"]
    assert response.json()["assigned_to"] == f"user_{user.id:03d}"
    pending = (
        await client.get("/tasks/v1/tasks", params={"status": "pending"}, headers=tasks_headers)
    ).json()
    assert [t["id"] for t in pending["data"]] == [f"task_{task['id']:03d}"]
    [event] = await outbox(database)
    assert (event.name, event.payload["id"]) == ("task.created", f"task_{task['id']:03d}")
