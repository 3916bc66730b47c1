"""CSV import of clients (crm §7.8) through the real path, at 10,000 and 100,000 rows: rows per second
and the server's peak memory, beside PostgreSQL's COPY of the same rows (the ceiling), in the same run.

For each size, a fresh `nexo serve` process (one process; its in-process job worker runs the
import) on a fresh PostgreSQL database with a crm tenant and admin (`bench._crm_data.seed_crm`, no
clients). The benchmark:

1. writes the CSV to a temporary file row by row (never held in memory): Spanish names with
   accents, phones in the three ways people write them (`3101234567`, `+57 310 123 4567`,
   `+573101234567`), e-mails, lead status, segment, tags and a custom field; 1 % of the rows repeat an
   earlier phone and 0.5 % have a malformed phone, so dedupe and row errors are on the path;
2. uploads it as multipart (`httpx` streams the file) to `POST /crm/v1/clients/import`, which parses
   and stages it and answers 202 with an import job;
3. polls `GET /crm/v1/clients/imports/{id}` until the job is `done`.

rate = rows in the file / (upload start → job done). Memory: the server's resident set before the
upload (after a small warm-up import has loaded every code path) and its peak (`VmHWM`) when the job
is done; `growth` = peak − before. Streaming means the growth of the 100k import is about that of
the 10k one (ratio ≈ 1), not 10×.

The ceiling: the same rows, already parsed and normalised, written with asyncpg's
`copy_records_to_table` into `crm_clients` (no validation, no dedupe, no tags, no job) — what the
database alone takes.

The request body limit is raised for this server (`NEXO_MAX_BODY_BYTES`): a 100,000-row file is
about 11 MB, over the 5 MiB default of the other routes (see docs/crm.md).
"""

from __future__ import annotations

import asyncio
import csv
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._crm_data import CITIES, FIRST_NAMES, LAST_NAMES, LEAD_STATUSES, SEGMENTS, seed_crm
from bench._support import (
    NEXO,
    ROOT,
    asyncpg_dsn,
    free_port,
    fresh_postgres_database,
    nexo_env,
    postgres_reachable,
    wait_until_serving,
)
from nexo.core.db.migrations import upgrade_to_head
from nexo.crm.text import search_text

BENCH = "crm_import"
SIZES = (10_000, 100_000)
WARM_UP_ROWS = 6_000  # over the 512 KiB inline limit, so the warm-up runs the job path too
HEADER = (
    "phone_number", "first_name", "last_name", "email", "city", "lead_status", "segment", "tags",
    "custom.origen",
)  # fmt: skip
TAGS = ("vip", "recurrente", "mayorista", "feria-2026", "referido")
MAX_BODY_BYTES = 256 * 1024 * 1024
WARM_UP_FIRST_PHONE = 9_000_000  # the warm-up's phones are not the measured file's
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ImportRun:
    rows: int
    file_bytes: int
    seconds: float
    staged_seconds: float  # upload + parse + staging, until the 202
    rss_before_mib: float
    peak_mib: float
    imported: int
    skipped: int

    @property
    def growth_mib(self) -> float:
        return self.peak_mib - self.rss_before_mib


def local_phone(n: int) -> str:
    """A Colombian mobile (310 + 7 digits), unique for n < 10,000,000, in one of three spellings."""
    digits = f"310{n:07d}"
    spelling = n % 3
    if spelling == 0:
        return digits
    if spelling == 1:
        return f"+57 {digits[:3]} {digits[3:6]} {digits[6:]}"
    return f"+57{digits}"


def csv_rows(count: int, *, start: int = 0, seed: int = 11) -> Iterator[list[str]]:
    """`count` data rows in `HEADER` order, generated one at a time; phones from number `start` on."""
    rng = random.Random(seed)
    for n in range(start, start + count):
        first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
        if n % 200 == 199:
            phone = f"12-{n}"  # malformed: a row error
        elif n % 100 == 99:
            phone = local_phone(n - 50)  # a phone that appeared 50 rows earlier: a duplicate
        else:
            phone = local_phone(n)
        email = f"{first.lower()}.{n}@correo.example" if n % 4 else ""
        tags = ";".join(rng.sample(TAGS, rng.randrange(3)))
        yield [
            phone, first, last, email, rng.choice(CITIES), rng.choice(LEAD_STATUSES),
            rng.choice(SEGMENTS) or "", tags, rng.choice(("web", "feria", "referido", "")),
        ]  # fmt: skip


def write_csv(path: Path, count: int, *, start: int = 0) -> int:
    """Write the file row by row; returns its size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(csv_rows(count, start=start))
    return path.stat().st_size


def copy_records(tenant_id: int, count: int) -> Iterator[tuple[object, ...]]:
    """The same clients as `csv_rows`, as `crm_clients` records for COPY (the ceiling)."""
    now = datetime.now(UTC)
    for n, (_, first, last, email, city, status, segment, _, _) in enumerate(csv_rows(count)):
        phone = f"+57310{n:07d}"
        yield (
            tenant_id, phone, first, last, email or None, city, status, segment or None, "{}", 0, 0, 0,
            False, False, 0, search_text(first_name=first, last_name=last, email=email, phone=phone),
            now, now,
        )  # fmt: skip


COPY_COLUMNS = (
    "tenant_id", "phone_number", "first_name", "last_name", "email", "city", "lead_status", "segment",
    "custom_fields", "lead_score", "ltv", "total_purchases", "is_blocked", "opt_in", "total_chats",
    "search_text", "created_at", "updated_at",
)  # fmt: skip


async def copy_ceiling(url: str, tenant_id: int, count: int) -> float:
    """Rows per second of a bare COPY of `count` clients into a copy of `crm_clients` with all its
    indexes (the trigram index included), rolled back: `crm_clients` itself stays untouched, so the
    import that follows meets neither the rows nor their dead index entries."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("CREATE TABLE bench_copy_ceiling (LIKE crm_clients INCLUDING ALL)")
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "bench_copy_ceiling", records=copy_records(tenant_id, count), columns=COPY_COLUMNS
        )
        elapsed = time.perf_counter() - started
        await transaction.rollback()
    finally:
        await connection.close()
    return count / elapsed


def reset_peak_memory(pid: int) -> None:
    """Set the process's `VmHWM` back to its current resident set (Linux `clear_refs`, value 5), so
    the peak read later belongs to the measured import, not to the warm-up."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def memory_kib(pid: int, field: str) -> int:
    """`VmRSS` (now) or `VmHWM` (peak) of a process, in KiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


class Server:
    """One `nexo serve` process (one worker process: the memory measured is all of it)."""

    def __init__(self, url: str, var_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = nexo_env(
            url, var_dir, NEXO_RATE_LIMITS_ENABLED="false", NEXO_MAX_BODY_BYTES=str(MAX_BODY_BYTES)
        )
        command = [NEXO, "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_until_serving(f"{self.base}/crm/v1/docs/openapi.json", self.process)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def sign_in(http: httpx.Client, base: str, email: str, password: str) -> dict[str, str]:
    answer = http.post(f"{base}/crm/v1/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def upload_and_wait(
    http: httpx.Client, base: str, headers: dict[str, str], path: Path
) -> tuple[dict[str, Any], float]:
    """Upload the file and follow its job to the end; returns the final status and the staging time."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        answer = http.post(
            f"{base}/crm/v1/clients/import",
            files={"file": (path.name, handle, "text/csv")},
            headers=headers,
            timeout=600,
        )
    staged = time.perf_counter() - started
    if answer.status_code != 202:
        raise RuntimeError(f"the import answered {answer.status_code}: {answer.text[:500]}")
    job_url = f"{base}/crm/v1/clients/imports/{answer.json()['id']}"
    while True:
        status: dict[str, Any] = http.get(job_url, headers=headers).json()
        if status["status"] in ("done", "failed"):
            return status, staged
        time.sleep(POLL_SECONDS)


def run_size(url: str, seed_email: str, password: str, rows: int, directory: Path) -> ImportRun:
    warm_up, data = directory / "warm-up.csv", directory / f"clients-{rows}.csv"
    write_csv(warm_up, WARM_UP_ROWS, start=WARM_UP_FIRST_PHONE)
    file_bytes = write_csv(data, rows)
    server = Server(url, directory)
    try:
        with httpx.Client(trust_env=False, timeout=60) as http:
            headers = sign_in(http, server.base, seed_email, password)
            upload_and_wait(http, server.base, headers, warm_up)  # loads the code paths, opens the pool
            reset_peak_memory(server.process.pid)
            before = memory_kib(server.process.pid, "VmRSS")
            started = time.perf_counter()
            status, staged = upload_and_wait(http, server.base, headers, data)
            seconds = time.perf_counter() - started
            peak = memory_kib(server.process.pid, "VmHWM")
    finally:
        server.stop()
    if status["status"] != "done" or status["rows_processed"] != rows:
        raise RuntimeError(f"the import did not finish: {status}")
    return ImportRun(
        rows=rows,
        file_bytes=file_bytes,
        seconds=seconds,
        staged_seconds=staged,
        rss_before_mib=before / 1024,
        peak_mib=peak / 1024,
        imported=int(status["imported"]),
        skipped=int(status["skipped"]),
    )


async def measure(rows: int) -> tuple[ImportRun, float]:
    async with fresh_postgres_database() as url:
        await asyncio.to_thread(upgrade_to_head, url)
        seed = await seed_crm(url, clients=0, other_tenants=0)
        ceiling = await copy_ceiling(url, seed.tenant_id, rows)
        with tempfile.TemporaryDirectory(prefix="nexo-bench-") as tmp:
            run = await asyncio.to_thread(
                run_size, url, seed.admin_email, seed.admin_password, rows, Path(tmp)
            )
    return run, ceiling


def _row(run: ImportRun, ceiling: float) -> dict[str, Any]:
    rate = run.rows / run.seconds
    return {
        "bench": BENCH,
        "case": f"{run.rows:,} rows ({run.file_bytes / 1e6:.1f} MB), upload → job done",
        "rate/s": rate,
        "ceiling/s": ceiling,
        "ratio": rate / ceiling,
        "notes": (
            f"peak RSS {run.peak_mib:.0f} MiB (+{run.growth_mib:.1f} over {run.rss_before_mib:.0f}); "
            f"202 after {run.staged_seconds:.1f} s; imported {run.imported:,}, skipped {run.skipped:,}"
        ),
    }


async def _run() -> list[dict[str, Any]]:
    results = [await measure(rows) for rows in SIZES]
    rows = [_row(run, ceiling) for run, ceiling in results]
    small, large = results[0][0], results[-1][0]
    growth_ratio = large.growth_mib / max(small.growth_mib, 0.1)
    rows.append(
        {
            "bench": BENCH,
            "case": f"peak RSS growth, {large.rows:,} vs {small.rows:,} rows",
            "ratio": growth_ratio,
            "notes": f"+{large.growth_mib:.1f} vs +{small.growth_mib:.1f} MiB; flat memory ≈ 1, "
            f"not {large.rows // small.rows}",
        }
    )
    return rows


def main() -> list[dict[str, Any]]:
    if not postgres_reachable():
        return [{"bench": BENCH, "case": "skipped", "notes": "no PostgreSQL at NEXO_BENCH_POSTGRES_URL"}]
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(main())
