"""`make test`: the whole suite on SQLite, then on PostgreSQL, then ruff and mypy.

PostgreSQL comes from NEXO_TEST_POSTGRES_URL (default: postgres on 127.0.0.1:5432, no password).
Outside CI a missing PostgreSQL skips that pass with a warning, so `make test` still works on a
laptop with nothing but Python; under CI (CI=true) it is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
BIN = Path(sys.executable).parent
# Python code only: ruff would also reformat the examples inside docs/*.md.
SOURCES = ("src", "tests", "scripts", "bench", "sdk")


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def run_pytest(database: str, extra: list[str]) -> tuple[int, dict[str, int]]:
    report = Path(tempfile.mkdtemp(prefix="nexo-junit-")) / "report.xml"
    env = {**os.environ, "NEXO_TEST_DATABASE": database}
    print(f"\n=== pytest on {database} ===", flush=True)
    code = subprocess.call([str(BIN / "pytest"), f"--junitxml={report}", *extra], env=env)  # noqa: S603
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        suite = ET.parse(report).getroot()  # noqa: S314 - our own pytest's report
        suite = suite if suite.tag == "testsuite" else suite[0]
        counts = {key: int(suite.get(key, 0)) for key in counts}
    return code, counts


def run_tool(*args: str) -> int:
    print(f"\n=== {' '.join(args)} ===", flush=True)
    return subprocess.call([str(BIN / args[0]), *args[1:]])  # noqa: S603


def main() -> int:
    extra = sys.argv[1:]
    in_ci = os.environ.get("CI", "").lower() == "true"
    postgres_url = os.environ.get("NEXO_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    results = [run_pytest("sqlite", extra)]
    if reachable(postgres_url):
        results.append(run_pytest("postgresql", extra))
    elif in_ci:
        print(f"PostgreSQL is not reachable at {postgres_url}; CI needs it.", file=sys.stderr)
        results.append((1, {"tests": 0, "failures": 1, "errors": 0, "skipped": 0}))
    else:
        print(f"\nWARNING: PostgreSQL not reachable at {postgres_url}; the PostgreSQL pass was skipped.")
    failed_tools = [
        tool
        for tool in (("ruff", "check", *SOURCES), ("ruff", "format", "--check", *SOURCES), ("mypy",))
        if run_tool(*tool)
    ]
    total = {key: sum(counts[key] for _, counts in results) for key in results[0][1]}
    failed = total["failures"] + total["errors"]
    passed = total["tests"] - failed - total["skipped"]
    if failed_tools:
        print(f"\nfailed checks: {', '.join(' '.join(tool[:2]) for tool in failed_tools)}")
    print(f"\nmatrix: {passed} passed, {failed} failed, {total['skipped']} skipped")
    return 1 if any(code for code, _ in results) or failed_tools else 0


if __name__ == "__main__":
    sys.exit(main())
