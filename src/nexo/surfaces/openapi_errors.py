"""Document the error envelope in every surface's OpenAPI document.

Any operation can answer a 4xx in the envelope (unknown id, missing credential, rate limit, bad
input), but FastAPI documents only the success and its own 422 schema, which is not what Nexo sends.
So each operation gets a `4XX` response with the envelope, and FastAPI's 422 placeholder becomes the
envelope too; responses a route documents itself (OAuth token errors, RFC 6749) are left as they are.
Clients generated from the document, and the schemathesis suite, then see what the API really does.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ENVELOPE_NAME = "ErrorEnvelope"
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "requestId"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                "requestId": {"type": ["string", "null"]},
            },
        }
    },
}
_FASTAPI_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _envelope_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ENVELOPE_NAME}"}}},
    }


def add_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the envelope to `document` in place (and return it)."""
    document.setdefault("components", {}).setdefault("schemas", {})[ENVELOPE_NAME] = ENVELOPE_SCHEMA
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if status == "422" and schema.get("$ref") == _FASTAPI_VALIDATION_REF:
                    responses[status] = _envelope_response("Validation error")
            responses.setdefault("4XX", _envelope_response("Error, in the error envelope"))
    return document


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` return the document with the error envelope (built once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
