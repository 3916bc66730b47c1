"""crm §7 clients through HTTP: CRUD, phones in E.164, tags, search, totals, tenancy, permissions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.crm.support import BASE, Caller, caller, new_client

from nexo.core.db.session import Database
from nexo.core.settings import Settings


@pytest.fixture
async def admin(database: Database, settings: Settings) -> Caller:
    return await caller(database, settings)


async def test_create_normalises_the_phone_and_answers_the_spec_shape(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    body = await new_client(
        client,
        admin,
        phone_number="300 999 9999",
        first_name="Ana",
        last_name="Martínez",
        email="Ana@Email.com",
        segment="VIP",
        custom_fields={"industria": "Tecnología"},
        tags=["Prospecto", "prospecto "],
    )
    assert body["phone_number"] == "+573009999999"
    assert body["email"] == "ana@email.com"
    assert body["segment"] == "vip"
    assert body["tags"] == ["prospecto"]
    assert body["lead_status"] == "new"
    assert body["custom_fields"] == {"industria": "Tecnología"}
    assert body["chats"] == [] and body["tasks"] == []
    assert body["ltv"] == 0
    fetched = await client.get(f"{BASE}/clients/{body['id']}", headers=admin.headers)
    assert fetched.json() == body


async def test_malformed_and_duplicate_phones_are_refused(client: httpx.AsyncClient, admin: Caller) -> None:
    bad = await client.post(f"{BASE}/clients", json={"phone_number": "12ab"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "phone_number"
    await new_client(client, admin, phone_number="+573001234567")
    again = await client.post(f"{BASE}/clients", json={"phone_number": "3001234567"}, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "DUPLICATE_PHONE"
    listed = await client.get(f"{BASE}/clients", headers=admin.headers)
    assert listed.json()["meta"]["total"] == 1


async def test_unknown_fields_and_nulls_get_422(client: httpx.AsyncClient, admin: Caller) -> None:
    typo = await client.post(
        f"{BASE}/clients", json={"phone_number": "+573001234567", "nmae": "x"}, headers=admin.headers
    )
    assert typo.status_code == 422
    created = await new_client(client, admin, phone_number="+573001234567")
    null = await client.put(
        f"{BASE}/clients/{created['id']}", json={"lead_status": None}, headers=admin.headers
    )
    assert null.status_code == 422
    huge = await client.get(f"{BASE}/clients/99999999999", headers=admin.headers)
    assert huge.status_code == 422


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("rodriguez", ["Carlos"]),
        ("RODRÍGUEZ", ["Carlos"]),
        ("maria", ["María"]),
        ("MARÍA", ["María"]),
        ("muñoz", ["María"]),
        ("munoz", ["María"]),
        ("1234", ["Carlos"]),
        ("+57 300-123", ["Carlos"]),
        ("acme.co", ["María"]),
        ("ar", ["Carlos", "María"]),
        ("zzz", []),
        ("50%", []),
    ],
)
async def test_search_is_accent_and_case_insensitive(
    client: httpx.AsyncClient, admin: Caller, term: str, expected: list[str]
) -> None:
    await new_client(client, admin, phone_number="+573001234567", first_name="Carlos", last_name="Rodríguez")
    await new_client(
        client,
        admin,
        phone_number="+573007654321",
        first_name="María",
        last_name="Muñoz",
        email="maria@acme.co",
    )
    response = await client.get(f"{BASE}/clients", params={"search": term}, headers=admin.headers)
    assert response.status_code == 200
    names = sorted(item["first_name"] for item in response.json()["data"])
    assert names == expected
    assert response.json()["meta"]["total"] == len(expected)


async def test_totals_stay_exact_across_pages_and_deletes(client: httpx.AsyncClient, admin: Caller) -> None:
    ids = []
    for n in range(5):
        created = await new_client(client, admin, phone_number=f"+57300123450{n}", first_name=f"Cliente {n}")
        ids.append(created["id"])
    page = await client.get(f"{BASE}/clients", params={"limit": 2, "page": 1}, headers=admin.headers)
    assert page.json()["meta"] == {"current_page": 1, "per_page": 2, "total": 5, "total_pages": 3}
    assert [item["id"] for item in page.json()["data"]] == ids[::-1][:2]
    deleted = await client.delete(f"{BASE}/clients/{ids[0]}", headers=admin.headers)
    assert deleted.status_code == 204
    page = await client.get(f"{BASE}/clients", params={"limit": 2, "page": 2}, headers=admin.headers)
    assert page.json()["meta"]["total"] == 4
    gone = await client.get(f"{BASE}/clients/{ids[0]}", headers=admin.headers)
    assert gone.status_code == 404
    searched = await client.get(f"{BASE}/clients", params={"search": "cliente 0"}, headers=admin.headers)
    assert searched.json()["data"] == []


async def test_search_totals_are_exact_on_every_page(client: httpx.AsyncClient, admin: Caller) -> None:
    ids = []
    for n in range(5):
        created = await new_client(
            client, admin, phone_number=f"+57300123450{n}", first_name="Núñez" if n != 2 else "Otro"
        )
        ids.append(created["id"])
    matching = [client_id for n, client_id in enumerate(ids) if n != 2][::-1]

    async def page(number: int, **extra: str) -> dict[str, Any]:
        params = {"search": "NUNEZ", "limit": "2", "page": str(number), **extra}
        response = await client.get(f"{BASE}/clients", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    first, second, third = await page(1), await page(2), await page(3)
    assert [item["id"] for item in first["data"]] == matching[:2]
    assert [item["id"] for item in second["data"]] == matching[2:]
    assert first["meta"] == {"current_page": 1, "per_page": 2, "total": 4, "total_pages": 2}
    assert second["meta"] == first["meta"] | {"current_page": 2}
    assert (third["data"], third["meta"]["total"]) == ([], 4)
    nothing = await page(1, search="zzqx")
    assert (nothing["data"], nothing["meta"]["total"]) == ([], 0)
    filtered = await page(1, lead_status="new")
    assert filtered["meta"]["total"] == 4


async def test_update_changes_fields_and_search_text(client: httpx.AsyncClient, admin: Caller) -> None:
    created = await new_client(client, admin, phone_number="+573001234567", first_name="Carlos")
    response = await client.put(
        f"{BASE}/clients/{created['id']}",
        json={"first_name": "Álvaro", "lead_status": "contacted", "tags": ["vip"]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["first_name"] == "Álvaro" and response.json()["tags"] == ["vip"]
    found = await client.get(f"{BASE}/clients", params={"search": "alvaro"}, headers=admin.headers)
    assert [item["id"] for item in found.json()["data"]] == [created["id"]]
    old = await client.get(f"{BASE}/clients", params={"search": "carlos"}, headers=admin.headers)
    assert old.json()["data"] == []


async def test_tags_filters_and_removal(client: httpx.AsyncClient, admin: Caller) -> None:
    vip = await new_client(client, admin, phone_number="+573001234567", tags=["vip"], segment="vip")
    other = await new_client(client, admin, phone_number="+573001234568", lead_status="contacted")
    added = await client.post(
        f"{BASE}/clients/{other['id']}/tags", json={"tag": "Recurrente"}, headers=admin.headers
    )
    assert added.json() == {"id": other["id"], "tags": ["recurrente"]}
    await client.post(f"{BASE}/clients/{vip['id']}/tags", json={"tag": "recurrente"}, headers=admin.headers)
    both = await client.get(f"{BASE}/clients", params={"tags": "vip,recurrente"}, headers=admin.headers)
    assert [item["id"] for item in both.json()["data"]] == [vip["id"]]
    contacted = await client.get(
        f"{BASE}/clients", params={"lead_status": "contacted"}, headers=admin.headers
    )
    assert [item["id"] for item in contacted.json()["data"]] == [other["id"]]
    segment = await client.get(f"{BASE}/clients", params={"segment": "VIP"}, headers=admin.headers)
    assert [item["id"] for item in segment.json()["data"]] == [vip["id"]]
    removed = await client.delete(f"{BASE}/clients/{vip['id']}/tags/VIP", headers=admin.headers)
    assert removed.json()["tags"] == ["recurrente"]
    missing = await client.delete(f"{BASE}/clients/{vip['id']}/tags/vip", headers=admin.headers)
    assert missing.status_code == 404


async def test_other_tenants_clients_are_invisible(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    theirs = await caller(database, settings)
    hidden = await new_client(client, theirs, phone_number="+573001234567", first_name="Secreto")
    mine = await new_client(client, admin, phone_number="+573001234567", first_name="Mío")  # same phone: fine
    assert mine["id"] != hidden["id"]
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/tags")):
        response = await client.request(
            method,
            f"{BASE}/clients/{hidden['id']}{path}",
            json={"tag": "x"} if path else {},
            headers=admin.headers,
        )
        assert response.status_code == 404, (method, path)
    listed = await client.get(f"{BASE}/clients", params={"search": "secreto"}, headers=admin.headers)
    assert listed.json()["data"] == []
    everything = await client.get(f"{BASE}/clients", headers=admin.headers)
    assert [item["first_name"] for item in everything.json()["data"]] == ["Mío"]


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "/clients", "clients.read"),
        ("POST", "/clients", "clients.create"),
        ("PUT", "/clients/1", "clients.update"),
        ("DELETE", "/clients/1", "clients.delete"),
        ("POST", "/clients/1/tags", "clients.update"),
        ("POST", "/clients/import", "clients.import"),
        ("GET", "/clients/imports/1", "clients.import"),
        ("GET", "/clients/export", "clients.export"),
    ],
)
async def test_each_route_demands_its_permission(
    client: httpx.AsyncClient, database: Database, settings: Settings, method: str, path: str, permission: str
) -> None:
    from nexo.identity.permissions import CRM_PERMISSIONS

    lacking = await caller(
        database, settings, role="limited", permissions=[p for p in CRM_PERMISSIONS if p != permission]
    )
    response = await client.request(method, f"{BASE}{path}", headers=lacking.headers)
    assert response.status_code == 403
    assert permission in response.json()["error"]["message"]


async def test_the_default_agent_role_cannot_delete_import_or_export(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    agent = await caller(database, settings, role="agent")
    created = await new_client(client, agent, phone_number="+573001234567")
    assert (await client.delete(f"{BASE}/clients/{created['id']}", headers=agent.headers)).status_code == 403
    assert (await client.get(f"{BASE}/clients/export", headers=agent.headers)).status_code == 403


async def test_the_created_client_answers_what_a_get_reads_back(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    # The create answer is built without reading the client back: its tags must come out in the
    # order a GET reads them, and a new client has no task.
    body = await new_client(
        client, admin, phone_number="+573001112233", tags=["Zeta", "alfa", "Beta", "alfa "]
    )
    assert body["tags"] == ["alfa", "beta", "zeta"]
    fetched = await client.get(f"{BASE}/clients/{body['id']}", headers=admin.headers)
    assert fetched.json() == body


async def test_a_client_shows_its_latest_tasks(client: httpx.AsyncClient, admin: Caller) -> None:
    created = await new_client(client, admin, phone_number="+573001112244")
    titles = ["Llamar", "Enviar cotización"]
    for title in titles:
        task = {"client_id": created["id"], "title": title, "due_date": "2030-01-02T10:00:00Z"}
        answer = await client.post(f"{BASE}/tasks", json=task, headers=admin.headers)
        assert answer.status_code == 201, answer.text
    fetched = (await client.get(f"{BASE}/clients/{created['id']}", headers=admin.headers)).json()
    assert [(task["title"], task["status"], task["due_date"]) for task in fetched["tasks"]] == [
        ("Enviar cotización", "pending", "2030-01-02T10:00:00Z"),
        ("Llamar", "pending", "2030-01-02T10:00:00Z"),
    ]
    assert set(fetched["tasks"][0]) == {"id", "title", "due_date", "status"}
