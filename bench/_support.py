"""What the benchmarks share: fresh PostgreSQL databases, server processes, `wrk`, percentiles.

Every benchmark talks to 127.0.0.1 only. PostgreSQL comes from `NEXO_BENCH_POSTGRES_URL` (default
postgres@127.0.0.1:5432); each run creates a database of its own named `nexo_bench_<random>` and drops
it afterwards, so a benchmark never touches a developer's data.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
NEXO = str(Path(sys.executable).parent / "nexo")
POSTGRES = os.environ.get("NEXO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEYS = {"NEXO_SECRET_KEY": "bench-secret-" + "s" * 40, "NEXO_ENCRYPTION_KEY": "bench-encryption-" + "e" * 40}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_reachable() -> bool:
    parts = make_url(POSTGRES)
    try:
        with socket.create_connection((parts.host or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 < fraction <= 1)."""
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


async def create_postgres_database() -> str:
    """A new, empty database; returns its SQLAlchemy URL (asyncpg driver)."""
    name = f"nexo_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return (
        make_url(POSTGRES)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def drop_database(url: str) -> None:
    """Drop a database made by `create_postgres_database` (SQLite files go with their directory)."""
    if url.startswith("postgresql"):
        admin = await asyncpg.connect(POSTGRES)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_database(url)


def asyncpg_dsn(url: str) -> str:
    """The plain `postgresql://` form of a SQLAlchemy URL, for asyncpg.connect / create_pool."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def nexo_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a Nexo process for a benchmark (development mode, quiet logs)."""
    return {
        **os.environ,
        **KEYS,
        "NEXO_ENV": "development",
        "NEXO_DATABASE_URL": database_url,
        "NEXO_VAR_DIR": str(var_dir),
        "NEXO_LOG_LEVEL": "WARNING",
        **extra,
    }


def wait_until_serving(url: str, process: subprocess.Popen[bytes], *, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start within {within:.0f} s")


@contextlib.contextmanager
def running(command: list[str], *, env: dict[str, str], ready_url: str) -> Iterator[None]:
    """Run a server process until the block ends; `ready_url` answering (< 500) means it is up."""
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_until_serving(ready_url, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# --- wrk -------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The path of `wrk`, installed from Debian's packages when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run([*sudo, *command], check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors + non-2xx/3xx responses
    non_2xx: int  # of which answers outside 2xx/3xx

    @property
    def row(self) -> dict[str, float]:
        return {"rate/s": self.requests_per_second, "p50 ms": self.p50_ms, "p99 ms": self.p99_ms}


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read `wrk --latency` output: requests/sec, the 50 % and 99 % latencies, errors."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and p50 and p99 and total):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=_milliseconds(p50.group(1)),
        p99_ms=_milliseconds(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
    timeout_seconds: int | None = None,
) -> WrkResult:
    """Load `url` with wrk for `seconds` and return what it measured (127.0.0.1 only).
    `timeout_seconds` raises wrk's per-request timeout (2 s): under heavy load a slow answer is a
    latency to measure, not an error."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("benchmarks load 127.0.0.1 only")
    command = [ensure_wrk(), "--latency", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    if timeout_seconds is not None:
        command.append(f"--timeout={timeout_seconds}s")
    limit = seconds + (timeout_seconds or 2) + 60
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        [*command, url], check=True, capture_output=True, text=True, timeout=limit
    )
    return parse_wrk(done.stdout)
