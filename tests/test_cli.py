"""The `nexo` command as an operator runs it: real processes, real databases, one-line failures."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import TEST_DATABASE, drop_postgres_database, fresh_database_url

NEXO = str(Path(sys.executable).parent / "nexo")


def nexo(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEXO, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
async def empty_database(tmp_path: Path) -> object:
    url = await fresh_database_url(tmp_path)
    yield url
    if TEST_DATABASE == "postgresql":
        await drop_postgres_database(url)


def env_for(url: str, tmp_path: Path) -> dict[str, str]:
    return {"NEXO_DATABASE_URL": url, "NEXO_VAR_DIR": str(tmp_path / "var"), "NEXO_LOG_LEVEL": "WARNING"}


def test_version() -> None:
    result = nexo("version", env={})
    assert result.returncode == 0 and result.stdout.strip().count(".") == 2


async def test_serve_refuses_an_unmigrated_database(empty_database: str, tmp_path: Path) -> None:
    result = nexo("serve", "--port", "1", env=env_for(empty_database, tmp_path))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip() and "generated one" not in line]
    assert len(lines) == 1, result.stderr
    assert "not migrated" in lines[0] and "nexo migrate" in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    url = "postgresql://nexo:hunter2@127.0.0.1:1/nexo"
    for command in (("serve",), ("migrate",)):
        result = nexo(*command, env=env_for(url, tmp_path))
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert "hunter2" not in result.stderr
        assert "cannot reach the database at postgresql+asyncpg://nexo:***@127.0.0.1:1/nexo" in result.stderr


async def test_migrate_then_demo_is_idempotent(empty_database: str, tmp_path: Path) -> None:
    env = env_for(empty_database, tmp_path)
    assert nexo("migrate", env=env).returncode == 0
    first = nexo("demo", env=env)
    second = nexo("demo", env=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "created" in first.stderr and "already present" in second.stderr


def test_openapi_prints_a_surface_document(tmp_path: Path) -> None:
    result = nexo("openapi", "--surface", "collections", env=env_for("sqlite:///unused.db", tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["info"]["title"].startswith("Nexo Collections")
    unknown = nexo("openapi", "--surface", "nope", env=env_for("sqlite:///unused.db", tmp_path))
    assert unknown.returncode != 0 and "unknown surface" in unknown.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_answers_over_real_http_with_two_workers(empty_database: str, tmp_path: Path) -> None:
    env = {**env_for(empty_database, tmp_path), "NEXO_LOG_LEVEL": "INFO"}
    assert nexo("migrate", env=env).returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [NEXO, "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                try:
                    ready = await http.get("/readyz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert ready is not None and ready.status_code == 200
            docs = await http.get("/tasks/v1/docs/openapi.json", headers={"X-Request-Id": "over-the-wire"})
        assert docs.status_code == 200
        assert docs.headers["x-request-id"] == "over-the-wire"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    access_lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    logged = [line for line in access_lines if line.get("request_id") == "over-the-wire"]
    assert logged and logged[0]["path"] == "/tasks/v1/docs/openapi.json" and logged[0]["status"] == 200
