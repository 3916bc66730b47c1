"""Every operation of every surface documents the error envelope (src/nexo/surfaces/openapi_errors.py)."""

from __future__ import annotations

from nexo.app import NexoApplication
from nexo.surfaces.openapi_errors import ENVELOPE_NAME

ENVELOPE_REF = f"#/components/schemas/{ENVELOPE_NAME}"


def _schema_ref(response: dict[str, object]) -> object:
    content = response.get("content", {})
    assert isinstance(content, dict)
    return content.get("application/json", {}).get("schema", {}).get("$ref")


def test_every_operation_documents_the_envelope_and_no_fastapi_422_remains(app: NexoApplication) -> None:
    operations = 0
    for surface in app.surfaces.values():
        document = surface.openapi()
        assert document["components"]["schemas"][ENVELOPE_NAME]["required"] == ["error"]
        for path_item in document["paths"].values():
            for operation in path_item.values():
                operations += 1
                responses = operation["responses"]
                assert "4XX" in responses
                if "422" in responses:
                    assert _schema_ref(responses["422"]) == ENVELOPE_REF
    assert operations > 100


def test_routes_own_error_responses_are_kept(app: NexoApplication) -> None:
    token = app.surfaces["tasks"].openapi()["paths"]["/v1/auth/token"]["post"]["responses"]
    documented = {status for status in token if status != "4XX"}
    assert documented - {"200", "422"}, "the OAuth token endpoint documents its own RFC 6749 errors"
    for status in documented - {"200", "422"}:
        assert _schema_ref(token[status]) != ENVELOPE_REF
