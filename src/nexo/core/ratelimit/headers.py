"""Rate-limit response headers, from the decisions taken for one request.

Two vocabularies, both on every limited response:

- IETF draft-ietf-httpapi-ratelimit-headers (-10): `RateLimit-Policy: "login";q=5;w=900` and
  `RateLimit: "login";r=4;t=893`, one list item per quota the request counted against; `t` is delta
  seconds until the window frees a request.
- Legacy `X-RateLimit-Limit/Remaining/Reset` for the quota closest to running out, with `Reset` as
  Unix epoch seconds, as specs/collections-api.md §1.3 shows (`X-RateLimit-Reset: 1703263200`).

A refused request also gets `Retry-After` (RFC 9110 §10.2.3, delay-seconds), never earlier than `t`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from nexo.core.ratelimit.limiter import Decision


def binding_decision(decisions: Sequence[Decision]) -> Decision:
    """The quota that decides: a refused one, else the one with the fewest requests left."""
    refused = [decision for decision in decisions if not decision.allowed]
    if refused:
        return refused[0]
    return min(decisions, key=lambda decision: decision.remaining)


def retry_after_seconds(decision: Decision, now: float | None = None) -> int:
    return max(1, decision.seconds_to_reset(now))


def rate_limit_headers(decisions: Sequence[Decision], now: float | None = None) -> dict[str, str]:
    if not decisions:
        return {}
    now = time.time() if now is None else now
    binding = binding_decision(decisions)
    headers = {
        "X-RateLimit-Limit": str(binding.limit),
        "X-RateLimit-Remaining": str(binding.remaining),
        "X-RateLimit-Reset": str(math.ceil(binding.reset_at)),
        "RateLimit-Policy": ", ".join(f'"{d.policy}";q={d.limit};w={d.window_seconds}' for d in decisions),
        "RateLimit": ", ".join(
            f'"{d.policy}";r={d.remaining};t={d.seconds_to_reset(now)}' for d in decisions
        ),
    }
    if not binding.allowed:
        headers["Retry-After"] = str(retry_after_seconds(binding, now))
    return headers
