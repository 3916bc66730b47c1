"""Shared by the reliability tests: an all-permissions principal and a live server in a thread.

`ALL_PERMISSIONS_PREFIX` tokens (`allperm-<tenant id>-<user id>`) resolve to a principal of that
tenant holding `*`. Its kind is the first one the matched route accepts (media API-key routes,
collections connector routes, user routes elsewhere), so one token reaches every operation.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import uvicorn
from fastapi import Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from tests.reliability.test_auth_matrix import authenticators

from nexo.app import create_app
from nexo.core.auth.dependencies import register_resolver
from nexo.core.auth.principal import Principal, PrincipalKind
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.settings import Settings
from nexo.credentials.models import Connector

ALL_PERMISSIONS_PREFIX = "allperm-"
KIND_PREFERENCE: tuple[PrincipalKind, ...] = ("user", "api_key", "oauth_client", "connector")


def all_permissions_token(tenant_id: int, user_id: int | str) -> str:
    return f"{ALL_PERMISSIONS_PREFIX}{tenant_id}-{user_id}"


def connector_id_of(token: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, token)


async def add_connector(database: Database, tenant_id: int, token: str) -> None:
    """The connector row a token's connector-kind principal stands for (heartbeats and syncs refer
    to it by foreign key, as they would for a registered connector)."""
    async with database.transaction(tenant_id=tenant_id) as session:
        session.add(
            Connector(
                id=connector_id_of(token),
                name="fuzz connector",
                machine_fingerprint="fuzz",
                version="1.0.0",
                credential_id=uuid.uuid4().hex,
                refresh_token_hash=uuid.uuid4().hex,
                refresh_expires_at=utcnow() + timedelta(days=1),
            )
        )


def _route_kind(request: Request) -> PrincipalKind:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return "user"
    allowed: set[PrincipalKind] = set(KIND_PREFERENCE)
    for auth in authenticators(route):
        if auth.kinds is not None:
            allowed &= auth.kinds
    return next((kind for kind in KIND_PREFERENCE if kind in allowed), "user")


class AllPermissionsResolver:
    """Test-only credential kind: every permission, in a real tenant, as whichever kind the route wants."""

    def accepts(self, credential: str) -> bool:
        return credential.startswith(ALL_PERMISSIONS_PREFIX)

    async def resolve(
        self, request: Request, session: AsyncSession, credential: str, *, surface: str
    ) -> Principal | None:
        tenant_id, _, user_id = credential.removeprefix(ALL_PERMISSIONS_PREFIX).partition("-")
        kind = _route_kind(request)
        return Principal(
            kind=kind,
            # connector ids are UUIDs; a user's sign-in always has a session (logout revokes it)
            id=str(connector_id_of(credential)) if kind == "connector" else user_id,
            session_id=f"allperm-session-{user_id}" if kind == "user" else None,
            tenant_id=int(tenant_id),
            permissions=frozenset({"*"}),
            role="admin",
            plan="premium",
        )


register_resolver(AllPermissionsResolver())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """A fresh app served by uvicorn on 127.0.0.1 in a thread with its own event loop; yields its URL.
    Synchronous clients (schemathesis' requests transport) then talk real HTTP to it."""
    port = free_port()
    application = create_app(settings.model_copy(update={"workers_in_process": False}))
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
