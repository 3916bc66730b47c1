"""ASGI factory for the multi-process tests: the real app, configured from `NEXO_*` variables like
`nexo serve`, plus the probe routes and resolver. Run with
`uvicorn --factory tests.core.ratelimit.probe_server:create` from the repository root."""

from __future__ import annotations

from tests.core.ratelimit.probes import all_probe_routers

from nexo.app import NexoApplication, create_app
from nexo.core.settings import Settings


def create() -> NexoApplication:
    return create_app(Settings(), extra_routers=all_probe_routers())
