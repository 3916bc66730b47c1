"""`NexoRoute`: the route class every surface uses.

It owns the request's database transaction (commit after success, before the response is sent;
rollback on an exception or an error status), stores the result of an idempotent POST in that same
transaction, runs the writes that had to wait for the transaction to end (see
`defer_until_request_ends`), and refuses JSON bodies sent with another media type.
"""

from __future__ import annotations

import email.message
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.context import DeferredWrite, start_deferred_writes
from nexo.core.errors import UnsupportedMediaType
from nexo.core.idempotency import IdempotentReplay, remember_response

log = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_json(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in request.headers


async def _finish(request: Request, *, commit: bool) -> None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if session is None:
        return
    request.state.db_session = None
    try:
        if commit:
            await session.commit()
        else:
            await session.rollback()
    finally:
        await session.close()


async def _run_deferred(writes: list[DeferredWrite]) -> None:
    for write in writes:
        try:
            await write()
        except Exception:  # a lost audit line must not turn the caller's answer into a 500
            log.exception("deferred write failed")


class NexoRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        json_body = self.body_field is not None and not _declares_form(self)

        async def run(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if json_body and content_type and _has_body(request) and not _is_json(content_type):
                raise UnsupportedMediaType(f"Send the body as application/json, not {content_type}.")
            deferred = start_deferred_writes()
            try:
                response = await handler(request)
            except IdempotentReplay as replay:
                await _finish(request, commit=False)
                return replay.response
            except BaseException:
                await _finish(request, commit=False)
                await _run_deferred(deferred)
                raise
            succeeded = response.status_code < 400
            if succeeded:
                remember_response(request, response)
            await _finish(request, commit=succeeded)
            await _run_deferred(deferred)
            return response

        return run


def _declares_form(route: APIRoute) -> bool:
    """Form and file uploads (CSV imports) are not JSON and must not be refused as such."""
    return any(isinstance(field.field_info, Form) for field in route.dependant.body_params)
