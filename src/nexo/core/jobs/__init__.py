"""Durable jobs in the database: enqueue in the caller's transaction, claim safely from any number
of workers, retry with backoff, take back a dead worker's jobs after its lease, run periodic jobs.

    await enqueue(session, "webhooks.deliver", {"subscription_id": 7}, dedupe_key="webhooks:7")

    @handler("webhooks.deliver")
    async def deliver(session: AsyncSession, payload: dict[str, Any]) -> Reschedule | None: ...

The worker loop is `nexo.core.jobs.worker.Worker`; `nexo worker` runs one.
"""

from nexo.core.jobs import models
from nexo.core.jobs.clock import ManualClock, current_clock, use_clock
from nexo.core.jobs.queue import enqueue
from nexo.core.jobs.registry import Periodic, Reschedule, handler, register_handler, register_periodic

__all__ = [
    "ManualClock",
    "Periodic",
    "Reschedule",
    "current_clock",
    "enqueue",
    "handler",
    "models",
    "register_handler",
    "register_periodic",
    "use_clock",
]
