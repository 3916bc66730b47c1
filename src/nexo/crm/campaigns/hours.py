"""Business hours: per weekday, zero or more windows (`[{"start": "08:00", "end": "12:00"}, …]`), so
split shifts are expressed directly. Stored as lists; a day with no windows is closed."""

from __future__ import annotations

from datetime import datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from nexo.core.errors import ErrorDetail, ValidationFailed

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Windows = list[dict[str, str]]


def _time(value: object, field: str) -> time:
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError as error:
        raise _invalid(field, "use HH:MM, 24-hour") from error
    if parsed.second or parsed.microsecond:
        raise _invalid(field, "use HH:MM, 24-hour")
    return parsed


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[ErrorDetail(field, message)])


def normalise_hours(raw: dict[str, Any] | None) -> dict[str, Windows]:
    """Check and sort the windows of each day; the wire accepts one window as an object or several
    as a list. Windows must not overlap; `end` is after `start` (no overnight windows)."""
    raw = raw or {}
    unknown = sorted(set(raw) - set(WEEKDAYS))
    if unknown:
        raise _invalid("business_hours", f"unknown day(s): {', '.join(unknown)}")
    hours: dict[str, Windows] = {}
    for day in WEEKDAYS:
        value = raw.get(day)
        windows = [] if value is None else value if isinstance(value, list) else [value]
        hours[day] = _day(day, windows)
    return hours


def _day(day: str, windows: list[Any]) -> Windows:
    parsed: list[tuple[time, time]] = []
    for index, window in enumerate(windows):
        field = f"business_hours.{day}.{index}"
        if not isinstance(window, dict) or set(window) != {"start", "end"}:
            raise _invalid(field, 'each window is {"start": "HH:MM", "end": "HH:MM"}')
        start, end = _time(window["start"], f"{field}.start"), _time(window["end"], f"{field}.end")
        if end <= start:
            raise _invalid(field, "end must be after start")
        parsed.append((start, end))
    parsed.sort()
    for (_, end), (start, _) in pairwise(parsed):
        if start < end:
            raise _invalid(f"business_hours.{day}", "windows overlap")
    return [{"start": s.strftime("%H:%M"), "end": e.strftime("%H:%M")} for s, e in parsed]


def render_hours(hours: dict[str, Windows]) -> dict[str, Any]:
    """The spec's shape: a day with one window is an object, several a list, none null."""
    rendered: dict[str, Any] = {}
    for day in WEEKDAYS:
        windows = hours.get(day) or []
        rendered[day] = None if not windows else windows[0] if len(windows) == 1 else windows
    return rendered


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _invalid("timezone", "an IANA time zone, such as America/Bogota") from error
    if name not in available_timezones() and name != "UTC":
        raise _invalid("timezone", "an IANA time zone, such as America/Bogota")
    return name


def is_open(hours: dict[str, Windows], timezone: str, at: datetime) -> bool:
    """Whether `at` (aware) falls inside a window, in the campaign's own time zone."""
    local = at.astimezone(ZoneInfo(timezone))
    moment = local.time().replace(tzinfo=None)
    for window in hours.get(WEEKDAYS[local.weekday()]) or []:
        if time.fromisoformat(window["start"]) <= moment < time.fromisoformat(window["end"]):
            return True
    return False
