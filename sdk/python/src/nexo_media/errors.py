"""Errors raised by the client, one class per kind of answer a caller handles differently."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    field: str
    message: str


@dataclass(eq=False)
class NexoAPIError(Exception):
    """The API answered with an error envelope `{"error": {code, message, details, requestId}}`."""

    status_code: int
    code: str
    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    request_id: str | None = None

    def __str__(self) -> str:
        fields = ", ".join(f"{d.field}: {d.message}" for d in self.details)
        return f"{self.status_code} {self.code}: {self.message}" + (f" ({fields})" if fields else "")

    def fields(self) -> set[str]:
        """The request fields the error names, e.g. {"items.0.cantidad"}."""
        return {detail.field for detail in self.details}


class AuthenticationError(NexoAPIError):
    """401: the API key or token is missing, wrong, expired or revoked."""


class PermissionDeniedError(NexoAPIError):
    """403: the credential lacks a scope (e.g. `write:ordenes`)."""


class NotFoundError(NexoAPIError):
    """404: no such resource in your account."""


class ConflictError(NexoAPIError):
    """409: the change conflicts with the resource's state (an illegal order state change)."""


class ValidationError(NexoAPIError):
    """422 (or 400): the request is invalid; `details` names each field."""


class RateLimitError(NexoAPIError):
    """429 after every retry: the hourly quota is spent."""


class ServerError(NexoAPIError):
    """5xx after every retry."""


class WebhookVerificationError(Exception):
    """A webhook's signature, timestamp or headers do not check out: drop the request."""


_BY_STATUS: dict[int, type[NexoAPIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for(status_code: int) -> type[NexoAPIError]:
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, NexoAPIError)
