"""The request dependencies every route declares."""

from __future__ import annotations

import inspect
from typing import get_args

from fastapi.params import Depends

from nexo.core.http.deps import RuntimeDep, SessionDep


def test_the_shared_dependencies_run_on_the_event_loop() -> None:
    # FastAPI runs a plain `def` dependency in a worker thread: two thread hand-offs per request
    # on every route, which cost more than the dependencies themselves under load.
    for alias in (SessionDep, RuntimeDep):
        marker = get_args(alias)[1]
        assert isinstance(marker, Depends)
        assert inspect.iscoroutinefunction(marker.dependency)
