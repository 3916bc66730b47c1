"""Builders for job-system tests: tenants without the identity machinery, and test handlers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.db.session import Database
from nexo.core.jobs.models import Job
from nexo.core.jobs.registry import register_handler
from nexo.core.tenancy import allow_all_tenants
from nexo.tenants.models import Tenant


async def new_tenant(database: Database) -> int:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test builder")
        tenant = Tenant(slug=f"t-{uuid.uuid4().hex[:10]}", name="Test tenant")
        session.add(tenant)
        await session.flush()
        return tenant.id


async def jobs(database: Database, kind: str | None = None) -> list[Job]:
    async with database.session(write=False) as session:
        statement = select(Job).order_by(Job.id)
        if kind is not None:
            statement = statement.where(Job.kind == kind)
        return list((await session.scalars(statement)).all())


class Recorder:
    """A job handler that records the payloads it ran and can be told to fail."""

    def __init__(self, kind: str, *, max_attempts: int = 3) -> None:
        self.kind = kind
        self.seen: list[dict[str, Any]] = []
        self.failures_left = 0
        register_handler(kind, self.handle, max_attempts=max_attempts)

    async def handle(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        self.seen.append(payload)
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("boom")


async def eventually(check: Callable[[], bool], *, within: float = 5.0, step: float = 0.01) -> float:
    """Wait until `check()` holds; returns the seconds it took. Fails the test after `within`."""
    started = time.perf_counter()
    for _ in range(int(within / step) + 1):
        if check():
            return time.perf_counter() - started
        await asyncio.sleep(step)
    raise AssertionError(f"still not true after {within} s")
