"""`nexo demo`: a user per role, a platform owner, printed logins that work, and idempotence."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from nexo.core.db.session import Database
from nexo.core.tenancy import allow_all_tenants
from nexo.demo import DEMO_PASSWORD, load_demo
from nexo.identity.models import User

LOGIN = {
    "crm": "/crm/v1/auth/login",
    "collections": "/collections/v1/auth/login",
    "platform": "/api/auth/login",
    "media": "/media/v2/auth/login",
    "tasks": "/tasks/v1/auth/login",
}


async def _count_users(database: Database) -> int:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test counts every user")
        return int(await session.scalar(select(func.count(User.id))) or 0)


async def test_demo_logins_work_and_loading_twice_changes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    first = await load_demo(database)
    assert first.created
    people = [line for line in first.logins if line[2] == DEMO_PASSWORD]
    labels = {label for label, _, _ in people}
    assert labels == {
        "platform PLATFORM_OWNER",
        "crm admin",
        "crm supervisor",
        "crm agent",
        "collections owner",
        "collections admin",
        "collections collector",
        "media admin",
        "tasks admin",
    }
    assert await _count_users(database) == 9
    for label, email, password in people:
        surface = label.split()[0]
        response = await client.post(LOGIN[surface], json={"email": email, "password": password})
        assert response.status_code == 200, (label, response.text)

    second = await load_demo(database)
    assert not second.created
    assert second.logins == first.logins
    assert await _count_users(database) == 9


async def test_demo_puts_a_changed_password_back(client: httpx.AsyncClient, database: Database) -> None:
    report = await load_demo(database)
    _, email, _ = next(line for line in report.logins if line[0] == "crm agent")
    login = (await client.post(LOGIN["crm"], json={"email": email, "password": DEMO_PASSWORD})).json()
    changed = await client.put(
        "/crm/v1/auth/change-password",
        headers={"Authorization": f"Bearer {login['access_token']}"},
        json={"current_password": DEMO_PASSWORD, "new_password": "something else entirely"},
    )
    assert changed.status_code == 200
    await load_demo(database)
    assert (
        await client.post(LOGIN["crm"], json={"email": email, "password": DEMO_PASSWORD})
    ).status_code == 200
