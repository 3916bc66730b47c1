"""The change feed: a poller that keeps `next_cursor` sees every change once, in commit order."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.identity_support import auth_headers, create_tenant
from tests.tasks.support import tasks_token

from nexo.core.db.session import Database
from nexo.core.settings import Settings

BASE = "/tasks/v1/tasks"


@pytest.fixture
async def headers(database: Database, settings: Settings) -> dict[str, str]:
    return auth_headers(await tasks_token(database, settings, await create_tenant(database)))


async def _poll(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(BASE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _create(client: httpx.AsyncClient, headers: dict[str, str], title: str) -> str:
    response = await client.post(BASE, json={"title": title}, headers=headers)
    assert response.status_code == 201
    task_id: str = response.json()["id"]
    return task_id


async def test_a_poller_sees_each_change_once_in_commit_order(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    a, b, c = [await _create(client, headers, title) for title in ("a", "b", "c")]
    first = await _poll(client, headers, updated_since="2000-01-01T00:00:00Z")
    assert [t["id"] for t in first["data"]] == [a, b, c]
    cursor = first["pagination"]["next_cursor"]

    quiet = await _poll(client, headers, cursor=cursor)
    assert quiet["data"] == []
    assert quiet["pagination"]["next_cursor"] == cursor  # nothing new: resume from the same place

    await client.patch(f"{BASE}/{a}", json={"status": "in_progress"}, headers=headers)
    await client.patch(f"{BASE}/{c}", json={"notes": "x"}, headers=headers)
    await client.patch(f"{BASE}/{a}", json={"notes": "y"}, headers=headers)
    changed = await _poll(client, headers, cursor=cursor)
    # `a` changed twice: it appears once, in its latest state, after `c`.
    assert [(t["id"], t["notes"]) for t in changed["data"]] == [(c, "x"), (a, "y")]
    assert b not in [t["id"] for t in changed["data"]]
    assert (await _poll(client, headers, cursor=changed["pagination"]["next_cursor"]))["data"] == []


async def test_the_feed_pages_by_cursor(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    ids = [await _create(client, headers, f"t{n}") for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 2, "updated_since": "2000-01-01"}
        if cursor:
            params["cursor"] = cursor
        page = await _poll(client, headers, **params)
        seen += [t["id"] for t in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        if not page["data"]:
            break
    assert seen == ids
    first = await _poll(client, headers, limit=2, updated_since="2000-01-01")
    assert first["pagination"] | {"next_cursor": None} == {
        "page": 1,
        "limit": 2,
        "total": 5,
        "pages": 3,
        "next_cursor": None,
    }


async def test_updated_since_excludes_older_changes(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await _create(client, headers, "old")
    assert (await _poll(client, headers, updated_since="2999-01-01"))["data"] == []


async def test_the_feed_combines_with_filters(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    a = await _create(client, headers, "a")
    await _create(client, headers, "b")
    await client.patch(f"{BASE}/{a}", json={"status": "cancelled"}, headers=headers)
    page = await _poll(client, headers, status="cancelled", updated_since="2000-01-01")
    assert [t["id"] for t in page["data"]] == [a]


async def test_page_numbers_are_refused_in_feed_mode(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get(BASE, params={"updated_since": "2000-01-01", "page": 2}, headers=headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["page"]
