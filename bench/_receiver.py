"""A webhook receiver for the benchmarks, run as its own process: `python -m bench._receiver PORT`.

It answers every POST with 200 at once and remembers when each arrived (and the `seq` in its data,
if any). `GET /log` returns `[[seq, unix_time], …]`; `GET /count` the number received;
`POST /reset` forgets everything. Running it in its own process keeps its CPU off the measured side.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
import uvicorn

received: list[tuple[Any, float]] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return  # the sender died mid-request (the kill -9 test): nothing was delivered
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    now = time.time()
    answer = b'{"ok":true}'
    if scope["method"] == "POST" and scope["path"] == "/reset":
        received.clear()
    elif scope["method"] == "POST":
        try:
            seq = orjson.loads(body).get("data", {}).get("seq")
        except (orjson.JSONDecodeError, AttributeError):
            seq = None
        received.append((seq, now))
    elif scope["path"] == "/count":
        answer = orjson.dumps({"count": len(received), "last": received[-1][1] if received else None})
    elif scope["path"] == "/log":
        answer = orjson.dumps(received)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": answer})


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", access_log=False, interface="asgi3"
    )
