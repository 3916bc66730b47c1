"""`NexoRoute`: the route class every surface uses.

It owns the request's database transaction (commit after success, before the response is sent;
rollback on an exception or an error status), stores the result of an idempotent POST in that same
transaction, runs the writes that had to wait for the transaction to end (see
`defer_until_request_ends`), and refuses JSON bodies sent with another media type.
"""

from __future__ import annotations

import email.message
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.context import DeferredWrite, start_deferred_writes
from nexo.core.db.types import MAX_ID
from nexo.core.errors import ErrorDetail, NotFound, UnsupportedMediaType, ValidationFailed
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


_NUL_IN_QUERY = re.compile(rb"%00")
_NUL_IN_JSON = re.compile(rb"\\u0000|\x00")


async def _refuse_nul_characters(request: Request, *, json_body: bool) -> None:
    """PostgreSQL text cannot hold NUL, and no person types one: refuse it up front, on both
    databases, instead of failing deep in the driver."""
    problem = _NUL_IN_QUERY.search(request.scope.get("query_string", b""))
    if problem is None and json_body and _has_body(request):
        problem = _NUL_IN_JSON.search(await request.body())
    if problem is not None:
        raise ValidationFailed(
            "Text must not contain NUL characters.",
            details=[ErrorDetail("body" if json_body else "query", "contains a NUL character")],
        )


def _refuse_impossible_ids(request: Request, names: list[str]) -> None:
    """An integer id beyond the column's range names nothing: answer 404 here rather than let
    PostgreSQL reject the query parameter (a 500)."""
    for name in names:
        raw = str(request.path_params.get(name, "")).strip()
        if raw.lstrip("+-").isdigit() and abs(int(raw)) > MAX_ID:
            raise NotFound()


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
        # Integer path ids the route does not bound itself (a route with `le=` answers 422 on its own).
        int_params = [
            param.name
            for param in self.dependant.path_params
            if param.field_info.annotation is int and not param.field_info.metadata
        ]

        async def run(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if json_body and content_type and _has_body(request) and not _is_json(content_type):
                raise UnsupportedMediaType(f"Send the body as application/json, not {content_type}.")
            await _refuse_nul_characters(request, json_body=json_body)
            _refuse_impossible_ids(request, int_params)
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
