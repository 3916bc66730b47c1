"""The background side of Nexo: which job handlers a worker loads, and running a worker.

`HANDLER_MODULES` lists every module that registers job handlers, periodic jobs or outbox
consumers; a domain that adds background work adds its module here. `nexo worker` runs a worker
alone; `nexo serve` runs one inside each server process (`in_process_worker`) unless
`NEXO_WORKERS_IN_PROCESS=false` or `--no-workers`. With `--workers N`, each of the N processes runs
its own loop, which is safe: jobs are claimed exclusively (see `nexo.core.jobs.queue`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from nexo.core.jobs.worker import Worker
from nexo.core.logging import configure_logging
from nexo.core.runtime import Runtime
from nexo.core.settings import Settings
from nexo.webhooks.sending import configure_delivery, delivery_context

log = logging.getLogger(__name__)

HANDLER_MODULES: tuple[str, ...] = (
    "nexo.core.jobs.maintenance",
    "nexo.webhooks.fanout",
    "nexo.webhooks.delivery",
    "nexo.webhooks.verification",
    "nexo.webhooks.maintenance",
    "nexo.tasks.reminders",
    "nexo.receivables.jobs",
    "nexo.crm.clients.import_runs",
)


def load_handlers() -> None:
    """Import every handler module, and every model first: handlers write rows whose foreign keys
    point at tables (tenants…) that no handler module imports itself."""
    for module in ("nexo.models", *HANDLER_MODULES):
        importlib.import_module(module)


def build_worker(runtime: Runtime, **overrides: Any) -> Worker:
    """A worker for this process, with every handler loaded and deliveries configured."""
    load_handlers()
    configure_delivery(runtime.settings)
    return Worker.from_settings(runtime.database, runtime.settings, **overrides)


@asynccontextmanager
async def in_process_worker(runtime: Runtime) -> AsyncIterator[Worker | None]:
    """Run a worker beside the web server for the life of the block (if the settings want one)."""
    if not runtime.settings.workers_in_process:
        yield None
        return
    worker = build_worker(runtime)
    task = asyncio.create_task(worker.run(), name="nexo-worker")
    try:
        yield worker
    finally:
        worker.stop()
        await task
        await delivery_context().aclose()


async def run_worker(settings: Settings, *, concurrency: int | None = None) -> None:
    """`nexo worker`: one worker loop until SIGINT or SIGTERM, then a graceful stop."""
    configure_logging(settings.log_level)
    runtime = Runtime.from_settings(settings)
    worker = build_worker(runtime, **({"concurrency": concurrency} if concurrency else {}))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, worker.stop)
    try:
        await worker.run()
    finally:
        await delivery_context().aclose()
        await runtime.close()
