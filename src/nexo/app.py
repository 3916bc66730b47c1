"""The ASGI application: five surface apps behind one set of middleware.

Requests reach a surface in one of two ways:
- by path on any host: `/media`, `/crm`, `/collections`, `/tasks`, `/api`;
- by host name, when `NEXO_HOST_<SURFACE>` binds one: that host serves the surface at its root, so
  `GET /v1/chats` with `Host: crm.example` is the crm surface's `/v1/chats`, as the spec's base URL.
`/healthz` and `/readyz` answer on every host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nexo import __version__
from nexo.core.db.migrations import pending_migrations
from nexo.core.errors import error_response
from nexo.core.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from nexo.core.logging import configure_logging
from nexo.core.runtime import Runtime
from nexo.core.settings import Settings, get_settings
from nexo.identity import resolvers as _identity_resolvers  # noqa: F401 - registers user tokens
from nexo.surfaces import SURFACES, routers_for
from nexo.surfaces.base import build_surface_app
from nexo.workers import in_process_worker

ALWAYS_ON_DEFAULT_HOST = ("/healthz", "/readyz")
EXPOSED_HEADERS = [
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "ETag",
]


class HostDispatcher:
    """Sends a request to the surface bound to its Host header, or to the path-based default."""

    def __init__(self, default: ASGIApp, by_host: Mapping[str, ASGIApp]) -> None:
        self.default = default
        self.by_host = dict(by_host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.default
        if self.by_host and scope["type"] in {"http", "websocket"}:
            host = Headers(scope=scope).get("host", "").rsplit(":", 1)[0].lower()
            if host in self.by_host and scope["path"] not in ALWAYS_ON_DEFAULT_HOST:
                target = self.by_host[host]
        await target(scope, receive, send)


class NexoApplication:
    """The assembled ASGI app, keeping hold of what tests and the CLI need to reach."""

    def __init__(self, asgi: ASGIApp, runtime: Runtime, surfaces: Mapping[str, FastAPI]) -> None:
        self.asgi = asgi
        self.runtime = runtime
        self.surfaces = dict(surfaces)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def _readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        async with runtime.database.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current, heads = await pending_migrations(runtime.database.read_engine)
        checks["migrations"] = "ok" if current == heads else "pending: run `nexo migrate`"
    except Exception as exc:  # any failure means "not ready"; the reason is what an operator needs
        checks.setdefault("database", f"unreachable: {type(exc).__name__}")
    ready = all(value == "ok" for value in checks.values()) and len(checks) == 2
    return JSONResponse({"status": "ready" if ready else "unready", "checks": checks}, 200 if ready else 503)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(405, "METHOD_NOT_ALLOWED", "This method is not allowed on this route.")
    return error_response(exc.status_code, "NOT_FOUND", "No such route.")


def create_app(
    settings: Settings | None = None,
    *,
    extra_routers: Mapping[str, Sequence[APIRouter]] | None = None,
) -> NexoApplication:
    """Build the app. `extra_routers` adds routers to surfaces by name (tests use it)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    runtime = Runtime.from_settings(settings)
    extra = extra_routers or {}
    surfaces = {
        spec.name: build_surface_app(spec, runtime, [*routers_for(spec.name), *extra.get(spec.name, ())])
        for spec in SURFACES
    }

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with in_process_worker(runtime):  # unless NEXO_WORKERS_IN_PROCESS=false
            yield
        await runtime.close()

    default = Starlette(
        routes=[
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
            *(Mount(spec.mount, app=surfaces[spec.name]) for spec in SURFACES),
        ],
        exception_handlers={404: _http_error, 405: _http_error},
        lifespan=lifespan,
    )
    default.state.runtime = runtime
    by_host = {host: surfaces[name] for host, name in settings.surface_hosts().items()}
    asgi: ASGIApp = HostDispatcher(default, by_host)
    if settings.cors_origins:
        asgi = CORSMiddleware(
            asgi,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    asgi = BodyLimitMiddleware(asgi, max_body_bytes=settings.max_body_bytes)
    asgi = RequestContextMiddleware(asgi)
    return NexoApplication(asgi, runtime, surfaces)
