"""The retry schedule, jitter, Retry-After, response classification and auto-disable."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexo.webhooks.retry import (
    MAX_ATTEMPTS,
    classify_response,
    next_delay,
    parse_retry_after,
    should_disable_for_failures,
)

NOW = datetime(2025, 1, 27, 10, 0, tzinfo=UTC)
SVIX = [
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


class _Midpoint(random.Random):
    """An rng whose uniform() returns the middle of the range, exposing the unjittered schedule."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def test_schedule_is_svix_eight_attempts() -> None:
    assert MAX_ATTEMPTS == 8
    delays = [next_delay(n, retry_after=None, rng=_Midpoint()) for n in range(1, 9)]
    assert [d.total_seconds() if d is not None else None for d in delays] == pytest.approx(
        [s.total_seconds() for s in SVIX]
    )


def test_gives_up_after_the_last_attempt() -> None:
    assert next_delay(9, retry_after=None, rng=None) is None
    assert next_delay(100, retry_after="60", rng=None) is None


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        next_delay(0, retry_after=None, rng=None)


def test_first_attempt_is_immediate_without_jitter_or_retry_after() -> None:
    assert next_delay(1, retry_after=None, rng=random.Random(1)) == timedelta(0)
    assert next_delay(1, retry_after="3600", rng=random.Random(1)) == timedelta(0)


def test_jitter_varies_between_seeds_and_repeats_with_the_same_seed() -> None:
    a = [next_delay(5, retry_after=None, rng=random.Random(seed)) for seed in range(20)]
    b = [next_delay(5, retry_after=None, rng=random.Random(seed)) for seed in range(20)]
    assert a == b
    assert len(set(a)) > 10


@given(attempt=st.integers(min_value=2, max_value=MAX_ATTEMPTS), seed=st.integers())
def test_jitter_stays_within_twenty_percent(attempt: int, seed: int) -> None:
    delay = next_delay(attempt, retry_after=None, rng=random.Random(seed))
    base = SVIX[attempt - 1]
    assert delay is not None
    assert base * 0.8 <= delay <= base * 1.2
    assert delay > timedelta(0)


@given(
    attempt=st.integers(min_value=2, max_value=MAX_ATTEMPTS),
    seed=st.integers(),
    retry_after=st.integers(min_value=0, max_value=10**12),
)
def test_retry_after_only_lengthens_and_is_capped(attempt: int, seed: int, retry_after: int) -> None:
    jittered = next_delay(attempt, retry_after=None, rng=random.Random(seed))
    delay = next_delay(attempt, retry_after=str(retry_after), rng=random.Random(seed))
    assert jittered is not None
    assert delay is not None
    assert delay >= jittered
    assert delay == max(jittered, min(timedelta(seconds=retry_after), timedelta(hours=24)))


def test_larger_retry_after_seconds_wins() -> None:
    assert next_delay(2, retry_after="120", rng=random.Random(0)) == timedelta(seconds=120)


def test_smaller_retry_after_does_not_shorten() -> None:
    assert next_delay(5, retry_after="60", rng=_Midpoint()) == timedelta(hours=2)


def test_retry_after_is_capped_at_24_hours() -> None:
    assert next_delay(2, retry_after="999999", rng=None) == timedelta(hours=24)
    assert next_delay(2, retry_after="9" * 5000, rng=None) == timedelta(hours=24)


def test_retry_after_http_date_is_relative_to_now() -> None:
    header = format_datetime(NOW + timedelta(hours=1), usegmt=True)
    assert header.endswith("GMT")
    assert next_delay(2, retry_after=header, rng=None, now=NOW) == timedelta(hours=1)


def test_retry_after_http_date_beyond_a_day_is_capped() -> None:
    header = format_datetime(NOW + timedelta(days=3), usegmt=True)
    assert next_delay(3, retry_after=header, rng=None, now=NOW) == timedelta(hours=24)


def test_retry_after_date_in_the_past_keeps_the_schedule() -> None:
    header = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(header, now=NOW) == timedelta(0)
    assert next_delay(3, retry_after=header, rng=_Midpoint(), now=NOW) == timedelta(minutes=5)


def test_rfc9110_example_date_parses() -> None:
    now = datetime(2015, 10, 21, 7, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == timedelta(minutes=28)


@pytest.mark.parametrize("header", ["", "soon", "-5", "1.5", "12 s", "٣٠", "Wed, 99 Foo 2015"])
def test_malformed_retry_after_is_ignored(header: str) -> None:
    assert parse_retry_after(header, now=NOW) is None
    assert next_delay(4, retry_after=header, rng=_Midpoint(), now=NOW) == timedelta(minutes=30)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_success(status: int) -> None:
    assert classify_response(status) == "success"


def test_410_gone_disables() -> None:
    assert classify_response(410) == "disable"


@pytest.mark.parametrize(
    "status", [100, 199, 300, 301, 302, 307, 308, 400, 401, 404, 408, 429, 500, 502, 503]
)
def test_everything_else_including_redirects_is_retried(status: int) -> None:
    assert classify_response(status) == "retry"


@given(status=st.integers(min_value=100, max_value=599))
def test_classification_covers_every_status(status: int) -> None:
    expected = "success" if 200 <= status < 300 else "disable" if status == 410 else "retry"
    assert classify_response(status) == expected


def test_disable_after_five_days_of_failures() -> None:
    start = NOW - timedelta(days=5)
    assert should_disable_for_failures(start, NOW)
    assert should_disable_for_failures(start - timedelta(seconds=1), NOW)
    assert not should_disable_for_failures(start + timedelta(seconds=1), NOW)


def test_healthy_endpoint_is_never_disabled() -> None:
    assert not should_disable_for_failures(None, NOW)


def test_disable_check_requires_aware_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        should_disable_for_failures(datetime(2025, 1, 1), NOW)
