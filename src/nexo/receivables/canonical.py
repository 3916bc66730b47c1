"""The canonical JSON form of a sync's `data`, whose SHA-256 the connector sends as `checksum`.

Rule (docs/collections.md, "Checksum"): parse `data` as sent, then write it back with

- object keys sorted by Unicode code point, each key once;
- no whitespace between tokens (`,` and `:` only);
- strings as JSON strings with non-ASCII characters written as themselves (UTF-8), escaping only
  `"`, `\\` and control characters (`\\n`, `\\u001f` …), as Python's `json.dumps(ensure_ascii=False)`;
- numbers written exactly as they appear in the request (`12500.00` stays `12500.00`, `7` stays `7`),
  so no float round trip can change a digit;
- `true`, `false`, `null` as such;

and hash the UTF-8 bytes. The checksum is the lowercase hex digest; an optional `sha256:` prefix is
accepted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class RawNumber:
    """A JSON number kept as the text the client wrote."""

    text: str


def parse_preserving_numbers(raw: bytes | str) -> Any:
    """Parse JSON keeping every number's literal text (for canonical re-serialisation)."""
    return json.loads(raw, parse_float=RawNumber, parse_int=RawNumber, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def canonical_json(value: Any) -> str:
    """`value` (as returned by `parse_preserving_numbers`) in the canonical form above."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for index, key in enumerate(sorted(value)):
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, RawNumber):
        out.append(value.text)
    else:  # str, bool, None
        out.append(json.dumps(value, ensure_ascii=False))


def checksum_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def checksum_matches(value: Any, presented: str) -> bool:
    presented = presented.strip().lower().removeprefix("sha256:")
    return checksum_of(value) == presented


def plain(value: Any) -> Any:
    """Turn `RawNumber`s into ints or exact decimal strings' Decimals for validation."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, RawNumber):
        text = value.text
        return int(text) if text.lstrip("-").isdigit() else Decimal(text)
    return value
