"""Housekeeping of the job system itself: finished jobs do not pile up forever."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.jobs import clock
from nexo.core.jobs.models import DEAD, DONE, Job
from nexo.core.jobs.queue import affected
from nexo.core.jobs.registry import Periodic, handler, register_periodic

PRUNE_KIND = "jobs.prune"
KEEP_FINISHED = timedelta(days=7)  # long enough to investigate a dead job after a weekend


@handler(PRUNE_KIND)
async def prune_finished(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Delete done and dead jobs that finished more than a week ago."""
    cutoff = clock.now() - KEEP_FINISHED
    outcome = await session.execute(
        delete(Job)
        .where(Job.status.in_((DONE, DEAD)), Job.finished_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    payload["deleted"] = affected(outcome)


register_periodic(Periodic("jobs.prune", PRUNE_KIND, timedelta(days=1)))
