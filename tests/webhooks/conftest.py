"""Fixtures for the webhook engine's tests: delivery context, a worker, a receiver, a tenant."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from tests.core.jobs.support import new_tenant
from tests.webhooks.support import Receiver, running

from nexo.core.db.session import Database
from nexo.core.jobs.worker import Worker
from nexo.core.settings import Settings
from nexo.webhooks.sending import DeliveryContext, using_delivery
from nexo.workers import load_handlers


@pytest.fixture
async def delivery(settings: Settings) -> AsyncIterator[DeliveryContext]:
    context = DeliveryContext.from_settings(settings, rng=random.Random(7))
    with using_delivery(context):
        yield context
    await context.aclose()


@pytest.fixture
def worker(database: Database, delivery: DeliveryContext) -> Worker:
    load_handlers()
    return Worker(database, concurrency=8, poll_seconds=0.05, listen=False)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running(Receiver()) as started:
        yield started


@pytest.fixture
async def tenant(database: Database) -> int:
    return await new_tenant(database)
