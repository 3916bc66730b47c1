"""`NexoRoute`: the route class every surface uses.

It owns the request's database transaction (commit after success, before the response is sent;
rollback on an exception or an error status) and refuses JSON bodies sent with another media type.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.errors import UnsupportedMediaType

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


class NexoRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        json_body = self.body_field is not None and not _declares_form(self)

        async def run(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if json_body and content_type and _has_body(request) and not _is_json(content_type):
                raise UnsupportedMediaType(f"Send the body as application/json, not {content_type}.")
            try:
                response = await handler(request)
            except BaseException:
                await _finish(request, commit=False)
                raise
            await _finish(request, commit=response.status_code < 400)
            return response

        return run


def _declares_form(route: APIRoute) -> bool:
    """Form and file uploads (CSV imports) are not JSON and must not be refused as such."""
    return any(isinstance(field.field_info, Form) for field in route.dependant.body_params)
