"""Errors that carry their HTTP meaning, and the one envelope every surface renders them in:

    {"error": {"code": "NOT_FOUND", "message": "...", "details": [{"field", "message"}], "requestId"}}

Domain code raises `NexoError` subclasses; it never builds responses. Surfaces differ only in the
status they give to validation errors (collections 400, the others 422), which the handlers take as a
parameter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from nexo.core.context import request_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    field: str
    message: str


class NexoError(Exception):
    """Base of every error a client may see. `status_code = None` means "the surface's validation
    status", so one ValidationFailed serves surfaces that answer 400 and those that answer 422."""

    status_code: ClassVar[int | None] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    default_message: ClassVar[str] = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Sequence[ErrorDetail] = (),
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = list(details)
        self.error_code = code or self.code
        self.headers = dict(headers or {})
        super().__init__(self.message)


class ValidationFailed(NexoError):
    status_code = None
    code = "VALIDATION_ERROR"
    default_message = "The request is not valid."


class BadRequest(NexoError):
    pass


class Unauthorized(NexoError):
    status_code = 401
    code = "UNAUTHORIZED"
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(NexoError):
    status_code = 403
    code = "FORBIDDEN"
    default_message = "You do not have permission to do this."


class NotFound(NexoError):
    status_code = 404
    code = "NOT_FOUND"
    default_message = "The resource does not exist."


class Conflict(NexoError):
    status_code = 409
    code = "CONFLICT"
    default_message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(NexoError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class UnsupportedMediaType(NexoError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Send the body as application/json."


class Unprocessable(NexoError):
    status_code = 422
    code = "UNPROCESSABLE_ENTITY"
    default_message = "The request is well-formed but cannot be carried out."


class RateLimited(NexoError):
    status_code = 429
    code = "RATE_LIMIT_EXCEEDED"
    default_message = "Too many requests; slow down and retry later."


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson: Decimal-free payloads only (money is rendered as strings upstream)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def envelope(code: str, message: str, details: Iterable[ErrorDetail] = ()) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [{"field": d.field, "message": d.message} for d in details],
            "requestId": request_id(),
        }
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: Iterable[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return OrjsonResponse(envelope(code, message, details), status_code=status, headers=headers)


_HTTP_CODES = {
    400: ("BAD_REQUEST", "The request could not be processed."),
    401: ("UNAUTHORIZED", "Authentication is required."),
    403: ("FORBIDDEN", "You do not have permission to do this."),
    404: ("NOT_FOUND", "No such route."),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed on this route."),
    406: ("NOT_ACCEPTABLE", "The requested representation is not available."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
    429: ("RATE_LIMIT_EXCEEDED", "Too many requests; slow down and retry later."),
}


def _field_of(location: Sequence[str | int]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_details(exc: RequestValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(_field_of(err.get("loc", ())), str(err.get("msg", ""))) for err in exc.errors()]


def _is_data_error(exc: BaseException) -> bool:
    """DataError from the driver: SQLAlchemy's own class, or asyncpg's (which the asyncpg dialect
    wraps in a plain DBAPIError when the value fails before reaching the server)."""
    if isinstance(exc, DataError):
        return True
    orig = getattr(exc, "orig", None)
    names = {type(orig).__name__, type(getattr(orig, "__cause__", None)).__name__}
    return "DataError" in names or "DataError" in str(orig)[:200]


def install_error_handlers(app: FastAPI, *, validation_status: int) -> None:
    """Render every error raised inside `app` in the envelope."""

    async def on_nexo_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NexoError)
        status = exc.status_code if exc.status_code is not None else validation_status
        return error_response(status, exc.error_code, exc.message, exc.details, exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            return error_response(400, "INVALID_JSON", "The request body is not valid JSON.")
        details = _validation_details(exc)
        first = details[0] if details else None
        message = f"{first.field}: {first.message}" if first else ValidationFailed.default_message
        return error_response(validation_status, ValidationFailed.code, message, details)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code, message = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", str(exc.detail)))
        if exc.status_code == 413 and isinstance(exc.detail, str):
            message = exc.detail
        return error_response(exc.status_code, code, message, headers=exc.headers)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        # The last net under input checks: a value the database cannot hold (an integer beyond its
        # column, say) is the client's mistake, and a constraint violation nobody checked first is a
        # conflict; neither is a server error. Anything else is a bug and stays a 500.
        if (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        ):  # the database went away (restart, failover); the pool reconnects
            log.warning("database connection lost", exc_info=exc)
            return error_response(
                503,
                "SERVICE_UNAVAILABLE",
                "The database connection was lost; retry.",
                headers={"Retry-After": "1"},
            )
        if isinstance(exc, IntegrityError):
            return error_response(409, "CONFLICT", "The change conflicts with data that already exists.")
        if _is_data_error(exc):
            return error_response(
                validation_status, "VALUE_OUT_OF_RANGE", "A value is out of the range this field accepts."
            )
        log.error("database error", exc_info=exc)
        return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side.")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged once by the request middleware, which sees the exception Starlette re-raises.
        return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side.")

    app.add_exception_handler(NexoError, on_nexo_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
