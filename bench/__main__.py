"""`python -m bench` (`make bench`): run every benchmark module and print one table.

A benchmark is a module `bench/<name>.py` (not starting with `_`) whose `main()` returns rows: dicts
with any of the keys in `COLUMNS`. Each row compares a measurement with a ceiling measured in the same
run, so the ratio means something on any machine.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = ("bench", "case", "rate/s", "ceiling/s", "ratio", "p50 ms", "p99 ms", "notes")


def _modules() -> list[str]:
    here = Path(__file__).resolve().parent
    names = [info.name for info in pkgutil.iter_modules([str(here)]) if not info.name.startswith("_")]
    return sorted(names)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:,.0f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    cells = [[_cell(row.get(column)) for column in COLUMNS] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(COLUMNS)]
    print(" | ".join(column.ljust(width) for column, width in zip(COLUMNS, widths, strict=True)))
    print("-|-".join("-" * width for width in widths))
    for line in cells:
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def main() -> int:
    selected = sys.argv[1:] or _modules()
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in selected:
        module = importlib.import_module(f"bench.{name}")
        print(f"running bench/{name}.py …", file=sys.stderr, flush=True)
        rows.extend(module.main())
    elapsed = time.perf_counter() - started
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} CPUs · {elapsed:.0f} s\n")
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
