"""Typed dependencies that routes declare: `SessionDep`, `RuntimeDep`.

The request's session is created lazily and owned by `NexoRoute`, which commits it once the endpoint
has succeeded and before the response leaves, and rolls it back otherwise. Services never commit.

The dependencies themselves are `async def`: FastAPI runs a plain `def` dependency in a worker thread,
and under load those thread hand-offs (GIL switches, loop wake-ups) cost more than the work itself —
`bench/http_api.py` measured the crm client `GET` at a fraction of its rate with them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.runtime import Runtime

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> AsyncSession:
    existing: AsyncSession | None = getattr(request.state, "db_session", None)
    if existing is not None:
        return existing
    runtime = get_runtime(request)
    session = runtime.database.session(write=request.method not in READ_ONLY_METHODS)
    request.state.db_session = session
    return session


async def runtime_dependency(request: Request) -> Runtime:
    return get_runtime(request)


async def session_dependency(request: Request) -> AsyncSession:
    return get_session(request)


RuntimeDep = Annotated[Runtime, Depends(runtime_dependency)]
SessionDep = Annotated[AsyncSession, Depends(session_dependency)]
