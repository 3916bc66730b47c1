"""The demo API key: fixed, so `make run` can print it every time, and put back if someone broke it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from tests.credentials.builders import PROBE_PATHS, actor_for, bearer, probe_client
from tests.identity_support import create_tenant

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.credentials import api_keys
from nexo.credentials.demo import DEMO_API_KEY, demo_credentials
from nexo.credentials.models import ApiKey
from nexo.credentials.scopes import MEDIA_SCOPES


async def test_the_demo_key_is_idempotent_works_and_comes_back_after_revocation(
    make_app: Callable[..., NexoApplication], database: Database
) -> None:
    tenant = await create_tenant(database)
    for _ in range(2):
        async with database.transaction(tenant_id=tenant.id) as session:
            lines = await demo_credentials(session, tenant)
    assert lines == [("media API key", "Authorization: Bearer", DEMO_API_KEY)]
    async with database.transaction(tenant_id=tenant.id) as session:
        assert await session.scalar(select(func.count()).select_from(ApiKey)) == 1
        key = await session.scalar(select(ApiKey))
        assert key is not None
        await api_keys.revoke_api_key(session, actor=actor_for(tenant), key_id=key.id)
    async with probe_client(make_app) as client:
        assert (await client.get(PROBE_PATHS["media"], headers=bearer(DEMO_API_KEY))).status_code == 401
        async with database.transaction(tenant_id=tenant.id) as session:
            await demo_credentials(session, tenant)
        response = await client.get(PROBE_PATHS["media"], headers=bearer(DEMO_API_KEY))
    assert response.status_code == 200
    assert response.json()["permissions"] == sorted(MEDIA_SCOPES)
