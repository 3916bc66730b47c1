"""Every dependency of every route runs on the event loop.

FastAPI runs a plain `def` dependency in a worker thread: two thread hand-offs per request, which
under load cost more than the dependencies themselves (bench/http_api.py measured it). This test walks
every route of every surface, so a new route with a sync dependency fails here, not in a benchmark.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from tests.support import make_settings

from nexo.app import create_app


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _runs_on_the_loop(call: object) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 - instances such as `Authenticated(...)`
    return not inspect.isroutine(call) and inspect.iscoroutinefunction(method)


def test_no_route_has_a_dependency_that_runs_in_a_thread(tmp_path: Path) -> None:
    application = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", tmp_path))
    checked, in_threads = 0, []
    for name, surface in application.surfaces.items():
        for context in iter_route_contexts(surface.routes):
            route = context.original_route
            if not isinstance(route, APIRoute):
                continue
            for sub in _dependencies(route.dependant):
                checked += 1
                if sub.call is not None and not _runs_on_the_loop(sub.call):
                    in_threads.append(f"{name} {context.path}: {getattr(sub.call, '__qualname__', sub.call)}")
    assert checked > 300  # the walk really reached the routes' dependencies
    assert in_threads == []
