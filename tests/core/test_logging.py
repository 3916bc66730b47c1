"""Structured logs: JSON per line, with the request id and the fields passed as extras."""

from __future__ import annotations

import json
import logging
import sys

from nexo.core.context import RequestInfo, current_request
from nexo.core.logging import JsonFormatter


def format_record(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("nexo.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return dict(json.loads(JsonFormatter().format(record)))


def test_line_carries_request_id_and_extras() -> None:
    token = current_request.set(RequestInfo(request_id="req_log_1"))
    try:
        line = format_record("sync finished", tenant_id=7, rows=120)
    finally:
        current_request.reset(token)
    assert line["msg"] == "sync finished"
    assert line["request_id"] == "req_log_1"
    assert (line["tenant_id"], line["rows"]) == (7, 120)
    assert line["level"] == "info" and str(line["ts"]).endswith("+00:00")


def test_outside_a_request_there_is_no_request_id() -> None:
    assert "request_id" not in format_record("worker tick")


def test_exceptions_are_kept_on_one_line() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logging.LogRecord("nexo.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    rendered = JsonFormatter().format(record)
    assert "\n" not in rendered
    assert "ValueError: bad value" in json.loads(rendered)["exc"]
