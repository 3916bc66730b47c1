"""Schemathesis over every operation of every surface's OpenAPI document (new operations are covered
without editing this file): no 5xx, and every response conforms to what the document declares
(status code, content type, headers, body schema).

Requests go over real HTTP to a server in a thread (`support.live_server`), as a principal of the
demo tenant holding every permission. Examples are bounded (`MAX_EXAMPLES` per operation, positive
data) so one database's pass stays within a few minutes on a 2-core machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from tests.reliability.support import add_connector, all_permissions_token, live_server
from tests.support import make_settings, truncate_all

from nexo.app import NexoApplication, create_app
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.demo import DEMO_DOMAIN, load_demo
from nexo.identity.models import User
from nexo.surfaces import SURFACES_BY_NAME

MAX_EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# (surface, "METHOD /path") of operations with a known violation that is not a small fix, each with
# the reason; they run as xfail (non-strict) so a fix shows up as XPASS.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _documents() -> dict[str, dict[str, Any]]:
    """Each surface's OpenAPI document, from an app that never touches its (unused) database."""
    scratch = Path(tempfile.mkdtemp(prefix="nexo-openapi-"))
    application = create_app(make_settings(f"sqlite+aiosqlite:///{scratch / 'unused.db'}", scratch))
    return {name: surface.openapi() for name, surface in application.surfaces.items()}


SCHEMAS = {name: schemathesis.openapi.from_dict(document) for name, document in _documents().items()}


def _operations() -> Iterator[Any]:
    for name, schema in SCHEMAS.items():
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an Err would be a bug in the document
            label = f"{operation.method.upper()} {operation.path}"
            reason = KNOWN_FAILURES.get((name, label))
            marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
            yield pytest.param(name, operation, id=f"{name} {label}", marks=marks)


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """The module shares one loaded tenant across operations; `fuzz_target` empties the tables once
    at the end instead of after every test."""


@pytest.fixture(scope="module")
async def fuzz_target(app: NexoApplication, settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """(server URL, Authorization header) for the demo tenant with its data."""
    database = app.runtime.database
    await load_demo(database)
    async with database.transaction() as session:
        allow_all_tenants(session, reason="the fuzz principal acts as a real demo user")
        user = await session.scalar(select(User).where(User.email == f"crm.admin@{DEMO_DOMAIN}"))
        assert user is not None and user.tenant_id is not None
        token = all_permissions_token(user.tenant_id, user.id)
    await add_connector(database, user.tenant_id, token)
    try:
        with live_server(settings) as url:
            yield url, f"Bearer {token}"
    finally:
        await truncate_all(database)


@pytest.mark.parametrize(("surface", "operation"), list(_operations()))
def test_operation_conforms_to_its_document(
    surface: str, operation: Any, fuzz_target: tuple[str, str]
) -> None:
    url, authorization = fuzz_target
    base_url = url + SURFACES_BY_NAME[surface].mount
    http = requests.Session()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        headers = {"Authorization": authorization}
        case.call_and_validate(base_url=base_url, session=http, headers=headers, checks=CHECKS, timeout=30)

    check()
