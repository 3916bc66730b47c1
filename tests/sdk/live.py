"""A live Nexo server for the SDK tests: uvicorn in a subprocess on a free 127.0.0.1 port, serving
the test database, and API keys made for it.

On the standard plan the media quota is lowered to `STANDARD_QUOTA`, so a test can exhaust it;
tenants that must not be limited are made on the premium plan.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.credentials.api_keys import create_api_key
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.tenants.models import Tenant

STANDARD_QUOTA = "3/minute"
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.secret_key is not None and settings.encryption_key is not None
    return {
        **os.environ,
        "NEXO_ENV": "test",
        "NEXO_DATABASE_URL": settings.database_url,
        "NEXO_VAR_DIR": str(settings.var_dir),
        "NEXO_SECRET_KEY": settings.secret_key.get_secret_value(),
        "NEXO_ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        "NEXO_RATE_LIMIT_OVERRIDES": json.dumps({"media.standard": STANDARD_QUOTA}),
        "NEXO_LOG_LEVEL": "WARNING",
    }


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Yield the media base URL (`http://127.0.0.1:<port>/media/v2`) of a running server."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "nexo.app:create_app",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=_environment(settings))
    try:
        _wait_until_up(f"http://{HOST}:{port}/healthz", process)
        yield f"http://{HOST}:{port}/media/v2"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start within 60 s")


async def api_key(database: Database, tenant: Tenant, scopes: list[str] | None = None) -> str:
    """A new API key of `tenant` with `scopes` (default: every media scope)."""
    actor = Principal(kind="user", id="sdk-tests", tenant_id=tenant.id)
    async with database.transaction(tenant_id=tenant.id) as session:
        issued = await create_api_key(
            session, actor=actor, name="SDK tests", scopes=scopes or list(MEDIA_SCOPES)
        )
    return issued.plain
