"""When to try a webhook delivery again, and when to stop.

The schedule is Svix's: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each
failure (8 attempts, about 27.6 hours). Receivers and operators already know it, and it rides out
both a brief blip and a night-long outage. Each retry delay gets ±20% jitter so that deliveries
failed by the same outage do not all come back at the same second.

A receiver may ask for more time with `Retry-After` (RFC 9110 §10.2.3). It can push a retry later
(capped at 24 h, so a hostile or buggy value cannot park a message forever) but never earlier than
our schedule, so it cannot be used to hammer ourselves or a third party.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.2
RETRY_AFTER_CAP = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=5)

Outcome = Literal["success", "retry", "disable"]

_DEFAULT_RNG = random.Random()  # jitter is not a secret; a seeded Random makes tests reproducible


def next_delay(
    attempt_number: int,
    *,
    retry_after: str | None,
    rng: random.Random | None,
    now: datetime | None = None,
) -> timedelta | None:
    """Return how long to wait before attempt `attempt_number` (1-based), or None to give up.

    Attempt 1 is the immediate first try: always zero, no jitter, and `retry_after` is ignored since
    no response exists yet. For later attempts `retry_after` is the header of the previous attempt's
    response; `now` (default: the current UTC time) is only needed to interpret an HTTP-date.
    """
    if attempt_number < 1:
        raise ValueError("attempt numbers start at 1")
    if attempt_number > MAX_ATTEMPTS:
        return None
    base = SCHEDULE[attempt_number - 1]
    if attempt_number == 1:
        return base
    delay = base * (rng or _DEFAULT_RNG).uniform(1 - JITTER, 1 + JITTER)
    requested = parse_retry_after(retry_after, now=now or datetime.now(UTC)) if retry_after else None
    if requested is not None and requested > delay:
        return min(requested, RETRY_AFTER_CAP)
    return delay


def parse_retry_after(value: str, *, now: datetime) -> timedelta | None:
    """Parse a `Retry-After` value (delay-seconds or HTTP-date) into a non-negative delay.

    Returns None when the value is malformed, so a broken header falls back to the schedule
    instead of failing the delivery. A date in the past means "now", i.e. zero.
    """
    text = value.strip()
    cap_seconds = int(RETRY_AFTER_CAP.total_seconds())
    if text.isascii() and text.isdigit():
        # Huge values are capped before int() so a 5,000-digit header cannot trip int's digit limit.
        return timedelta(seconds=min(int(text), cap_seconds) if len(text) <= 9 else cap_seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are always GMT; `-0000` parses as naive
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def classify_response(status: int) -> Outcome:
    """Decide what a response status means for the delivery.

    2xx is success. 410 Gone is the receiver telling us the endpoint no longer exists, so the
    subscription is disabled. Everything else — including 3xx, because we never follow redirects
    (a redirect could point anywhere, including past the SSRF guard) — is retried.
    """
    if 200 <= status <= 299:
        return "success"
    if status == 410:
        return "disable"
    return "retry"


def should_disable_for_failures(first_failure_at: datetime | None, now: datetime) -> bool:
    """True once an endpoint has failed every delivery for `DISABLE_AFTER` (5 days) straight.

    `first_failure_at` is the start of the current unbroken failure streak (reset by any success),
    None when the endpoint is healthy. Both times must be timezone-aware.
    """
    if first_failure_at is None:
        return False
    if first_failure_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return now - first_failure_at >= DISABLE_AFTER
