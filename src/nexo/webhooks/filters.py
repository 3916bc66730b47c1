"""Which events a webhook subscription receives.

Event names are dot-separated segments of letters (any script, so `campaña.creada` works),
digits, `_` and `-`: `task.created`, `ticket.message.added`, `orden.creada`. A subscription lists
patterns; it receives an event when any pattern matches:

- `*` alone matches every event.
- A trailing `.*` matches any non-empty remainder: `task.*` matches `task.created` and
  `task.comment.added`, but not `task` itself.
- A `*` segment anywhere else matches exactly one segment: `*.created` matches `task.created` but
  not `ticket.message.created`; `ticket.*.added` matches `ticket.message.added`.
- Any other segment must be equal. `*` inside a segment (`task.creat*`) is not a wildcard; such a
  pattern is malformed and matches nothing.

Matching is case-sensitive, on NFC-normalized text, so a decomposed `ñ` (n + combining tilde)
typed by a client still equals the catalog's precomposed one. An empty list of patterns receives
nothing: subscribing to everything is an explicit `*`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

WILDCARD = "*"
_SEGMENT = re.compile(r"[\w-]+")  # str patterns: \w is Unicode-aware, so ñ and á are letters


def _segments(name: str) -> list[str]:
    """Split a name into NFC-normalized segments (empty segments kept, so they can be rejected)."""
    return unicodedata.normalize("NFC", name).split(".")


def pattern_problem(pattern: str) -> str | None:
    """Explain why `pattern` is malformed, or return None when it is well formed."""
    if not pattern:
        return "an event pattern cannot be empty"
    for segment in _segments(pattern):
        if not segment:
            return f"'{pattern}' has an empty segment (check for a leading, trailing or double '.')"
        if segment == WILDCARD:
            continue
        if WILDCARD in segment:
            return f"'{pattern}' uses '*' inside a segment; '*' must stand alone between dots"
        if not _SEGMENT.fullmatch(segment):
            return f"'{pattern}' may only contain letters, digits, '_', '-', '.' and '*'"
    return None


def event_matches(pattern: str, event: str) -> bool:
    """True if `event` is selected by `pattern` (rules in the module docstring)."""
    if pattern_problem(pattern) is not None:
        return False
    wanted, actual = _segments(pattern), _segments(event)
    if wanted[-1] == WILDCARD:
        wanted = wanted[:-1]
        if len(actual) <= len(wanted):
            return False
        actual = actual[: len(wanted)]
    elif len(wanted) != len(actual):
        return False
    return all(want in (WILDCARD, got) for want, got in zip(wanted, actual, strict=True))


def subscription_wants(patterns: Iterable[str], event: str) -> bool:
    """True if any of a subscription's patterns selects `event`."""
    return any(event_matches(pattern, event) for pattern in patterns)


def validate_patterns(patterns: Iterable[str], catalog: Collection[str]) -> list[str]:
    """Return one English message per problem; an empty list means the patterns are acceptable.

    A pattern that is well formed but selects no event in `catalog` is an error too: it is almost
    always a typo (`task.creatd`), and silently delivering nothing is worse than a 4xx.
    """
    listed = list(patterns)
    if not listed:
        return ["at least one event pattern is required (use '*' for every event)"]
    problems: list[str] = []
    for pattern in listed:
        problem = pattern_problem(pattern)
        if problem is None and not any(event_matches(pattern, event) for event in catalog):
            problem = f"'{pattern}' matches no known event"
        if problem is not None:
            problems.append(problem)
    return problems
