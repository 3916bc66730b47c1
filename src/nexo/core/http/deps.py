"""Typed dependencies that routes declare: `SessionDep`, `RuntimeDep`.

The request's session is created lazily and owned by `NexoRoute`, which commits it once the endpoint
has succeeded and before the response leaves, and rolls it back otherwise. Services never commit.
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


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
