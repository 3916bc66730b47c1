"""The tasks surface's tasks, as specs/tasks-api.md shows them."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tests.identity_support import auth_headers, create_tenant, create_user
from tests.tasks.support import tasks_token

from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.tenants.models import Tenant

BASE = "/tasks/v1/tasks"
TASK_ID = re.compile(r"^task_\d{3,}$")


@pytest.fixture
async def tenant(database: Database) -> Tenant:
    return await create_tenant(database)


@pytest.fixture
async def headers(database: Database, settings: Settings, tenant: Tenant) -> dict[str, str]:
    return auth_headers(await tasks_token(database, settings, tenant))


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Visita a Cliente ABC")
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_created_tasks_render_as_the_spec_shows(
    client: httpx.AsyncClient, database: Database, tenant: Tenant, headers: dict[str, str]
) -> None:
    user = await create_user(database, tenant=tenant, role="agent")
    task = await _create(
        client,
        headers,
        description="Reunión de seguimiento mensual",
        priority="high",
        assigned_to=f"user_{user.id}",
        due_date="2024-01-20T14:00:00Z",
    )
    assert TASK_ID.match(task["id"])
    assert task["title"] == "Visita a Cliente ABC"
    assert task["description"] == "Reunión de seguimiento mensual"
    assert (task["status"], task["priority"]) == ("pending", "high")
    assert task["assigned_to"] == f"user_{user.id:03d}"
    assert task["due_date"] == "2024-01-20T14:00:00Z"
    assert task["created_at"].endswith("Z")
    assert task["updated_at"].endswith("Z")


async def test_the_list_pages_with_the_specs_pagination(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ids = [(await _create(client, headers, title=f"Task {n}"))["id"] for n in range(3)]

    first = await client.get(BASE, params={"limit": 2}, headers=headers)
    second = await client.get(BASE, params={"limit": 2, "page": 2}, headers=headers)

    assert first.status_code == 200
    assert first.json()["pagination"] == {"page": 1, "limit": 2, "total": 3, "pages": 2}
    assert [t["id"] for t in first.json()["data"] + second.json()["data"]] == ids
    default = (await client.get(BASE, headers=headers)).json()["pagination"]
    assert default == {"page": 1, "limit": 20, "total": 3, "pages": 1}


async def test_filters_narrow_the_list(
    client: httpx.AsyncClient, database: Database, tenant: Tenant, headers: dict[str, str]
) -> None:
    user = await create_user(database, tenant=tenant, role="agent")
    mine = await _create(
        client, headers, assigned_to=f"user_{user.id:03d}", priority="urgent", due_date="2024-01-20T14:00:00Z"
    )
    early = await _create(client, headers, priority="low", due_date="2024-01-10T09:00:00Z")
    started = await _create(client, headers)
    await client.patch(f"{BASE}/{started['id']}", json={"status": "in_progress"}, headers=headers)

    async def ids(**params: Any) -> list[str]:
        response = await client.get(BASE, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [task["id"] for task in response.json()["data"]]

    assert await ids(status="pending") == [mine["id"], early["id"]]
    assert await ids(status="in_progress") == [started["id"]]
    assert await ids(assigned_to=f"user_{user.id}") == [mine["id"]]
    assert await ids(priority="urgent") == [mine["id"]]
    assert await ids(due_date_from="2024-01-15T00:00:00Z") == [mine["id"]]
    assert await ids(due_date_to="2024-01-10") == [early["id"]]  # a date includes its whole day
    assert await ids(due_date_from="2024-01-10", due_date_to="2024-01-20") == [mine["id"], early["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"priority": "critical"}, "priority"),
        ({"due_date_from": "20/01/2024"}, "due_date_from"),
        ({"due_date_to": "2024-13-01"}, "due_date_to"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"limit": "1000"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"page": "0"}, "page"),
        ({"assigned_to": "bob"}, "assigned_to"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_bad_filters_answer_422_naming_the_field(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = await client.get(BASE, params=params, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [detail["field"] for detail in error["details"]]


async def test_a_task_is_found_by_either_spelling_of_its_id(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await _create(client, headers)
    number = int(task["id"].removeprefix("task_"))
    for spelling in (task["id"], f"task_{number}", f"task_{number:05d}"):
        response = await client.get(f"{BASE}/{spelling}", headers=headers)
        assert response.status_code == 200
        assert response.json() == task


@pytest.mark.parametrize("task_id", ["task_999999", "999", "task_x", "task_99999999999"])
async def test_unknown_or_malformed_ids_are_404(
    client: httpx.AsyncClient, headers: dict[str, str], task_id: str
) -> None:
    response = await client.get(f"{BASE}/{task_id}", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "TASK_NOT_FOUND"


async def test_another_tenants_tasks_are_invisible(
    client: httpx.AsyncClient, database: Database, settings: Settings, headers: dict[str, str]
) -> None:
    theirs = await _create(client, headers)
    other_headers = auth_headers(await tasks_token(database, settings, await create_tenant(database)))

    assert (await client.get(f"{BASE}/{theirs['id']}", headers=other_headers)).status_code == 404
    patch = await client.patch(f"{BASE}/{theirs['id']}", json={"status": "cancelled"}, headers=other_headers)
    assert patch.status_code == 404
    listed = (await client.get(BASE, headers=other_headers)).json()
    assert listed == {"data": [], "pagination": {"page": 1, "limit": 20, "total": 0, "pages": 0}}
    assert (await client.get(f"{BASE}/{theirs['id']}", headers=headers)).json()["status"] == "pending"


async def test_patch_changes_status_and_notes(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    task = await _create(client, headers)
    response = await client.patch(
        f"{BASE}/{task['id']}",
        json={"status": "in_progress", "notes": "Iniciando visita al cliente"},
        headers=headers,
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["notes"]) == (
        "in_progress",
        "Iniciando visita al cliente",
    )
    assert response.json()["updated_at"] >= task["updated_at"]


async def test_an_illegal_move_is_409_naming_both_states_and_reopen_is_explicit(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await _create(client, headers)
    url = f"{BASE}/{task['id']}"
    assert (await client.patch(url, json={"status": "completed"}, headers=headers)).status_code == 200

    refused = await client.patch(url, json={"status": "pending"}, headers=headers)
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "completed" in message
    assert "pending" in message
    assert (await client.get(url, headers=headers)).json()["status"] == "completed"

    reopened = await client.post(f"{url}/reopen", headers=headers)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "pending"
    assert (await client.post(f"{url}/reopen", headers=headers)).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "priority": "critical"}, "priority"),
        ({"title": "x", "due_date": "2024-01-20T14:00:00"}, "due_date"),
        ({"title": "x", "assigned_to": "user_999999"}, "assigned_to"),
        ({"title": "x", "assigned_to": "nobody"}, "assigned_to"),
        ({"title": "x", "colour": "red"}, "colour"),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["error"]["details"]]
    assert (await client.get(BASE, headers=headers)).json()["pagination"]["total"] == 0


async def test_patch_refuses_null_status_and_unknown_fields(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await _create(client, headers)
    for body, field in (({"status": None}, "status"), ({"state": "done"}, "state")):
        response = await client.patch(f"{BASE}/{task['id']}", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert field in [detail["field"] for detail in response.json()["error"]["details"]]


async def test_reads_need_tasks_read_and_changes_tasks_write(
    client: httpx.AsyncClient, database: Database, settings: Settings, tenant: Tenant
) -> None:
    reader = auth_headers(await tasks_token(database, settings, tenant, permissions=["tasks:read"]))
    writer = auth_headers(await tasks_token(database, settings, tenant, permissions=["tasks:write"]))

    assert (await client.get(BASE, headers=reader)).status_code == 200
    refused = await client.post(BASE, json={"title": "x"}, headers=reader)
    assert refused.status_code == 403
    assert "tasks:write" in refused.json()["error"]["message"]
    assert (await client.get(BASE, headers=writer)).status_code == 403
    assert (await client.post(BASE, json={"title": "x"}, headers=writer)).status_code == 201
    assert (await client.get(BASE)).status_code == 401


async def test_list_and_detail_answer_304_until_something_changes(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    task = await _create(client, headers)
    url = f"{BASE}/{task['id']}"
    listed = await client.get(BASE, params={"status": "pending"}, headers=headers)
    detail = await client.get(url, headers=headers)
    list_tag, detail_tag = listed.headers["etag"], detail.headers["etag"]

    again = await client.get(
        BASE, params={"status": "pending"}, headers={**headers, "If-None-Match": list_tag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == list_tag
    cached = await client.get(url, headers={**headers, "If-None-Match": f'W/{detail_tag}, "other"'})
    assert cached.status_code == 304
    other_query = await client.get(
        BASE, params={"status": "completed"}, headers={**headers, "If-None-Match": list_tag}
    )
    assert other_query.status_code == 200

    await client.patch(url, json={"notes": "changed"}, headers=headers)

    fresh_list = await client.get(
        BASE, params={"status": "pending"}, headers={**headers, "If-None-Match": list_tag}
    )
    fresh_detail = await client.get(url, headers={**headers, "If-None-Match": detail_tag})
    assert fresh_list.status_code == 200
    assert fresh_list.json()["data"][0]["notes"] == "changed"
    assert fresh_detail.status_code == 200
    assert fresh_detail.headers["etag"] != detail_tag


async def test_etags_of_two_tenants_never_collide(
    client: httpx.AsyncClient, database: Database, settings: Settings, headers: dict[str, str]
) -> None:
    await _create(client, headers)
    other_headers = auth_headers(await tasks_token(database, settings, await create_tenant(database)))
    await _create(client, other_headers)
    mine = (await client.get(BASE, headers=headers)).headers["etag"]
    response = await client.get(BASE, headers={**other_headers, "If-None-Match": mine})
    assert response.status_code == 200


async def test_a_retried_create_with_the_same_idempotency_key_creates_one_task(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    keyed = {**headers, "Idempotency-Key": "create-visit-1"}
    first = await client.post(BASE, json={"title": "Visita"}, headers=keyed)
    again = await client.post(BASE, json={"title": "Visita"}, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert (await client.get(BASE, headers=headers)).json()["pagination"]["total"] == 1
