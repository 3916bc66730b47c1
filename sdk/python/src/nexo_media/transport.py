"""HTTP with the API's conventions: Bearer auth, the error envelope, and retries on 429 and 503.

A retried request waits what the server's `Retry-After` says (seconds or an HTTP date), capped at
`max_retry_wait`; without the header it backs off exponentially. POSTs carry an `Idempotency-Key`
that stays the same across retries, so a retried creation never creates twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from nexo_media.errors import ErrorDetail, error_for
from nexo_media.models import to_wire

RETRY_STATUSES = frozenset({429, 503})
USER_AGENT = "nexo-media-sdk-python/0.1.0"


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a `Retry-After` header, or None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Transport:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self.http = http or httpx.Client(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def close(self) -> None:
        self.http.close()

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """The decoded JSON answer (None for 204), or the matching `NexoAPIError`."""
        headers = dict(self.headers)
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        query = {key: to_wire(value) for key, value in (params or {}).items() if value is not None}
        body = to_wire(json) if json is not None else None
        for attempt in range(self.max_retries + 1):
            response = self.http.request(
                method, self.base_url + path, params=query, json=body, headers=headers
            )
            if response.status_code not in RETRY_STATUSES or attempt == self.max_retries:
                break
            self.sleep(self._wait(response, attempt))
        return _decode(response)

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        told = retry_after_seconds(response.headers.get("Retry-After"))
        backoff = 0.5 * 2**attempt
        return min(told if told is not None else backoff, self.max_retry_wait)


def _decode(response: httpx.Response) -> Any:
    if response.status_code == 204:
        return None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code < 400:
        return payload
    error = (payload or {}).get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    details = [
        ErrorDetail(str(item.get("field", "")), str(item.get("message", "")))
        for item in error.get("details") or []
        if isinstance(item, dict)
    ]
    raise error_for(response.status_code)(
        status_code=response.status_code,
        code=str(error.get("code") or "HTTP_ERROR"),
        message=str(error.get("message") or response.reason_phrase),
        details=details,
        request_id=error.get("requestId") or response.headers.get("X-Request-Id"),
    )
