"""Offset pages and keyset cursors over real rows, and the meta shapes each surface renders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends
from sqlalchemy import select
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.errors import ValidationFailed
from nexo.core.http.deps import SessionDep
from nexo.core.pagination import (
    Page,
    PageParams,
    camel_meta,
    crm_meta,
    decode_cursor,
    page_params,
    paginate,
    paginate_cursor,
    snake_meta,
    tasks_pagination,
)
from nexo.surfaces.base import surface_router
from nexo.tenants.models import Tenant


async def seed(database: Database, count: int, start: int = 0) -> None:
    async with database.transaction() as session:
        session.add_all(Tenant(slug=f"t{n:03d}", name=f"Tenant {n}") for n in range(start, start + count))


async def test_offset_pages(database: Database) -> None:
    await seed(database, 45)
    statement = select(Tenant).order_by(Tenant.slug)
    async with database.session(write=False) as session:
        last = await paginate(session, statement, PageParams(page=3, limit=20))
        beyond = await paginate(session, statement, PageParams(page=9, limit=20))
    assert [t.slug for t in last.items] == [f"t{n:03d}" for n in range(40, 45)]
    assert (last.total, last.pages) == (45, 3)
    assert beyond.items == [] and beyond.total == 45


def test_meta_shapes() -> None:
    page: Page[int] = Page(items=[1, 2], total=45, page=2, limit=20)
    assert crm_meta(page) == {"current_page": 2, "per_page": 20, "total": 45, "total_pages": 3}
    assert camel_meta(page) == {"page": 2, "limit": 20, "total": 45, "totalPages": 3}
    assert snake_meta(page) == {"page": 2, "limit": 20, "total": 45, "total_pages": 3}
    assert tasks_pagination(page) == {"page": 2, "limit": 20, "total": 45, "pages": 3}
    assert Page(items=[], total=0, page=1, limit=20).pages == 0


async def test_cursor_walk_sees_every_row_once_despite_inserts(database: Database) -> None:
    await seed(database, 30)
    seen: list[str] = []
    cursor: str | None = None
    inserted = False
    while True:
        async with database.session(write=False) as session:
            page = await paginate_cursor(
                session, select(Tenant), keys=[Tenant.created_at, Tenant.id], cursor=cursor, limit=7
            )
        seen.extend(t.slug for t in page.items)
        if not inserted:
            await seed(database, 3, start=100)  # rows created while walking come at the end
            inserted = True
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 33


def test_tampered_cursor_is_a_validation_error() -> None:
    for bad in ("not-base64!!", "W10", "bnVsbA"):  # garbage, [], null
        with pytest.raises(ValidationFailed):
            decode_cursor(bad, [Tenant.created_at, Tenant.id])


@pytest.fixture
async def listing(make_app: object) -> AsyncIterator[httpx.AsyncClient]:
    router = surface_router()

    @router.get("/tenants-page")
    async def list_page(session: SessionDep, params: PageParams = Depends(page_params)) -> dict[str, object]:
        page = await paginate(session, select(Tenant).order_by(Tenant.id), params)
        return {"data": [t.slug for t in page.items], "meta": crm_meta(page)}

    application: NexoApplication = make_app(extra_routers={"crm": [router]})  # type: ignore[operator]
    async with http_client(application) as client:
        yield client


async def test_page_parameters_are_bounded(listing: httpx.AsyncClient, database: Database) -> None:
    await seed(database, 3)
    ok = await listing.get("/crm/v1/tenants-page", params={"page": 1, "limit": 2})
    assert ok.json() == {
        "data": ["t000", "t001"],
        "meta": {"current_page": 1, "per_page": 2, "total": 3, "total_pages": 2},
    }
    for params in ({"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "two"}):
        response = await listing.get("/crm/v1/tenants-page", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["field"] in {"limit", "page"}
