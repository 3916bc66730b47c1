"""What a surface is (its mount, base path, conventions) and how its FastAPI app is built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI

from nexo import __version__
from nexo.core.errors import OrjsonResponse, install_error_handlers
from nexo.core.http.routing import NexoRoute
from nexo.core.ratelimit import install_rate_limits
from nexo.core.runtime import Runtime
from nexo.surfaces.openapi_errors import document_errors


@dataclass(frozen=True, slots=True)
class SurfaceSpec:
    name: str
    title: str
    mount: str  # where the default host serves it
    prefix: str  # the path inside the surface, as its spec's base URL has it
    validation_status: int
    description: str

    @property
    def base(self) -> str:
        return f"{self.mount}{self.prefix}"

    @property
    def docs_path(self) -> str:
        return f"{self.base}/docs"


class SurfaceRootRouter(APIRouter):
    """A router served at the surface's mount, outside its versioned prefix: media's token endpoint is
    `/media/oauth/token` (the spec's `https://api.pautapro.com/oauth/token`), not `/media/v2/oauth/token`."""


def surface_router(*, at_root: bool = False, **kwargs: Any) -> APIRouter:
    """A router whose routes own their transaction (see NexoRoute). Surfaces use nothing else.
    `at_root=True` serves it without the surface prefix (see `SurfaceRootRouter`)."""
    router_class = SurfaceRootRouter if at_root else APIRouter
    return router_class(route_class=NexoRoute, **kwargs)


def build_surface_app(spec: SurfaceSpec, runtime: Runtime, routers: Sequence[APIRouter]) -> FastAPI:
    app = FastAPI(
        title=spec.title,
        version=__version__,
        description=spec.description,
        openapi_url=f"{spec.prefix}/docs/openapi.json",
        docs_url=f"{spec.prefix}/docs",
        redoc_url=None,
        default_response_class=OrjsonResponse,
    )
    app.router.route_class = NexoRoute
    app.state.runtime = runtime
    app.state.surface = spec
    install_error_handlers(app, validation_status=spec.validation_status)
    install_rate_limits(app, surface=spec.name, settings=runtime.settings)
    document_errors(app)
    for router in routers:
        app.include_router(router, prefix="" if isinstance(router, SurfaceRootRouter) else spec.prefix)
    return app
