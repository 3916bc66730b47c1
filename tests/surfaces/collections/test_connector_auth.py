"""Connector credentials (collections §4.2–4.4): link codes, registration, Bearer + X-Connector-Id,
refresh rotation, revocation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from tests.credentials.builders import (
    PROBE_PATHS,
    actor_for,
    bearer,
    make_connector,
    make_link_code,
    probe_client,
)
from tests.identity_support import create_tenant, create_user, issue_token

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.db.types import utcnow
from nexo.core.errors import NotFound
from nexo.core.security.opaque import LINK_CODE_ALPHABET
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.credentials import connectors
from nexo.credentials.models import Connector, ConnectorLinkCode
from nexo.tenants.models import Tenant

LINK_CODE = "/collections/v1/connectors/link-code"
REGISTER = "/collections/v1/connectors/register"
REFRESH = "/collections/v1/connectors/refresh"
PROBE = PROBE_PATHS["collections"]


def _registration(code: str) -> dict[str, object]:
    return {
        "linkCode": code,
        "nombre": "Servidor Principal",
        "machineFingerprint": "hash_del_hardware",
        "version": "2.0.0",
        "empresas": [{"id": "01", "nombre": "Empresa Principal", "baseDatos": "SAE90EMPRE01"}],
    }


def _connector_headers(token: str, connector_id: str) -> dict[str, str]:
    return bearer(token) | {"X-Connector-Id": connector_id}


async def _admin_token(database: Database, settings: Settings, tenant: Tenant, role: str = "admin") -> str:
    user = await create_user(database, tenant=tenant, surface="collections", role=role)
    return await issue_token(database, settings, user, surface="collections")


async def test_an_admin_creates_a_link_code_as_the_spec_shows(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    token = await _admin_token(database, settings, tenant)
    before = utcnow()
    response = await client.post(LINK_CODE, headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"code", "expiresAt"}
    assert re.fullmatch(f"[{LINK_CODE_ALPHABET}]{{6}}", body["code"])
    expires = datetime.fromisoformat(body["expiresAt"])
    assert timedelta(minutes=14) < expires - before <= timedelta(minutes=15, seconds=5)
    with_empresa = await client.post(LINK_CODE, json={"empresaId": "01"}, headers=bearer(token))
    assert with_empresa.status_code == 201


async def test_link_codes_take_the_conectores_write_permission(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    collector = await _admin_token(database, settings, tenant, role="collector")
    assert (await client.post(LINK_CODE)).status_code == 401
    refused = await client.post(LINK_CODE, headers=bearer(collector))
    assert refused.status_code == 403


async def test_registration_returns_the_spec_shape_and_the_tokens_work(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    code = await make_link_code(database, tenant, empresa_id="01")
    async with probe_client(make_app) as client:
        response = await client.post(REGISTER, json=_registration(code.lower()[:3] + "-" + code[3:]))
        assert response.status_code == 201, response.text
        body = response.json()
        connector_id = body["connectorId"]
        uuid.UUID(connector_id)
        assert set(body["tokens"]) == {"accessToken", "refreshToken", "expiresIn"}
        assert body["tokens"]["accessToken"].startswith("eyJ")
        assert body["tokens"]["expiresIn"] == 86400
        assert body["syncConfig"] == {
            "intervalMinutes": 15,
            "endpoints": {
                "sync": "http://testserver/collections/v1/sync",
                "heartbeat": "http://testserver/collections/v1/connectors/heartbeat",
            },
        }
        who = await client.get(PROBE, headers=_connector_headers(body["tokens"]["accessToken"], connector_id))
    assert who.status_code == 200, who.text
    assert who.json()["kind"] == "connector"
    assert who.json()["id"] == connector_id
    assert who.json()["tenant_id"] == tenant.id
    assert set(who.json()["permissions"]) == {"sync:write", "connectors:heartbeat"}
    async with database.transaction(tenant_id=tenant.id) as session:
        row = await session.get(Connector, uuid.UUID(connector_id))
        assert row is not None
        assert row.empresa_id == "01"
        assert row.empresas == [{"id": "01", "nombre": "Empresa Principal", "baseDatos": "SAE90EMPRE01"}]
        stored = " ".join(str(value) for value in vars(row).values())
    assert body["tokens"]["refreshToken"] not in stored  # hashed at rest


async def test_a_link_code_works_once(client: httpx.AsyncClient, database: Database) -> None:
    tenant = await create_tenant(database)
    code = await make_link_code(database, tenant)
    assert (await client.post(REGISTER, json=_registration(code))).status_code == 201
    again = await client.post(REGISTER, json=_registration(code))
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_LINK_CODE"
    assert again.json()["error"]["details"][0]["field"] == "linkCode"


@pytest.mark.parametrize("problem", ["expired", "unknown", "malformed"])
async def test_bad_link_codes_are_refused(
    client: httpx.AsyncClient, database: Database, problem: str
) -> None:
    tenant = await create_tenant(database)
    code = await make_link_code(database, tenant)
    if problem == "expired":
        async with database.transaction() as session:
            allow_all_tenants(session, reason="test ages a link code")
            past = utcnow() - timedelta(seconds=1)
            await session.execute(update(ConnectorLinkCode).values(expires_at=past))
    elif problem == "unknown":
        code = "ABCDEF" if code != "ABCDEF" else "ABCDEG"
    else:
        code = "00000O"
    response = await client.post(REGISTER, json=_registration(code))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_LINK_CODE"


async def test_registration_validates_its_body(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json={"linkCode": "ABCDEF", "nombre": "x"})
    assert response.status_code == 400  # collections answers validation errors with 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("header", [None, "", "not-a-uuid", "other"])
async def test_the_connector_id_header_must_match_the_token(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings, header: str | None
) -> None:
    tenant = await create_tenant(database)
    mine = await make_connector(database, settings, tenant)
    other = await make_connector(database, settings, tenant)
    headers = bearer(mine.access_token)
    if header == "other":
        headers["X-Connector-Id"] = str(other.connector.id)
    elif header is not None:
        headers["X-Connector-Id"] = header
    async with probe_client(make_app) as client:
        response = await client.get(PROBE, headers=headers)
    assert response.status_code == 401


async def test_connector_tokens_only_work_on_collections(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    issued = await make_connector(database, settings, tenant)
    headers = _connector_headers(issued.access_token, str(issued.connector.id))
    async with probe_client(make_app) as client:
        for surface in ("media", "tasks", "crm"):
            assert (await client.get(PROBE_PATHS[surface], headers=headers)).status_code == 401


async def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_connector(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    issued = await make_connector(database, settings, tenant)
    connector_id = str(issued.connector.id)
    async with probe_client(make_app) as client:
        refreshed = await client.post(
            REFRESH, json={"refreshToken": issued.refresh_token}, headers={"X-Connector-Id": connector_id}
        )
        assert refreshed.status_code == 200, refreshed.text
        tokens = refreshed.json()["tokens"]
        assert refreshed.json()["connectorId"] == connector_id
        assert tokens["refreshToken"] != issued.refresh_token
        # The previous generation's access token stops at once; the new one works.
        assert (
            await client.get(PROBE, headers=_connector_headers(issued.access_token, connector_id))
        ).status_code == 401
        assert (
            await client.get(PROBE, headers=_connector_headers(tokens["accessToken"], connector_id))
        ).status_code == 200

        replay = await client.post(
            REFRESH, json={"refreshToken": issued.refresh_token}, headers={"X-Connector-Id": connector_id}
        )
        assert replay.status_code == 401
        assert (
            await client.get(PROBE, headers=_connector_headers(tokens["accessToken"], connector_id))
        ).status_code == 401
        latest = await client.post(
            REFRESH, json={"refreshToken": tokens["refreshToken"]}, headers={"X-Connector-Id": connector_id}
        )
        assert latest.status_code == 401
    async with database.transaction(tenant_id=tenant.id) as session:
        row = await session.get(Connector, issued.connector.id)
        assert row is not None and row.status == "revoked"


async def test_refresh_needs_the_matching_connector_id(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    issued = await make_connector(database, settings, tenant)
    other = await make_connector(database, settings, tenant)
    wrong = await client.post(
        REFRESH,
        json={"refreshToken": issued.refresh_token},
        headers={"X-Connector-Id": str(other.connector.id)},
    )
    missing = await client.post(REFRESH, json={"refreshToken": issued.refresh_token})
    assert wrong.status_code == 401 and missing.status_code == 401
    right = await client.post(
        REFRESH,
        json={"refreshToken": issued.refresh_token},
        headers={"X-Connector-Id": str(issued.connector.id)},
    )
    assert right.status_code == 200  # the failed attempts did not spend or revoke anything


async def test_revoking_and_rotating_end_the_old_tokens(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    tenant = await create_tenant(database)
    rotated_one = await make_connector(database, settings, tenant)
    revoked_one = await make_connector(database, settings, tenant)
    async with database.transaction(tenant_id=tenant.id) as session:
        fresh = await connectors.rotate_connector_credentials(
            session, settings, actor=actor_for(tenant), connector_id=rotated_one.connector.id
        )
        await connectors.revoke_connector(
            session, actor=actor_for(tenant), connector_id=revoked_one.connector.id
        )
    rotated_id, revoked_id = str(rotated_one.connector.id), str(revoked_one.connector.id)
    async with probe_client(make_app) as client:
        old = await client.get(PROBE, headers=_connector_headers(rotated_one.access_token, rotated_id))
        new = await client.get(PROBE, headers=_connector_headers(fresh.access_token, rotated_id))
        gone = await client.get(PROBE, headers=_connector_headers(revoked_one.access_token, revoked_id))
    assert (old.status_code, new.status_code, gone.status_code) == (401, 200, 401)


async def test_connectors_of_another_tenant_cannot_be_revoked(database: Database, settings: Settings) -> None:
    tenant_a, tenant_b = await create_tenant(database), await create_tenant(database)
    issued_b = await make_connector(database, settings, tenant_b)
    async with database.transaction(tenant_id=tenant_a.id) as session:
        with pytest.raises(NotFound):
            await connectors.revoke_connector(
                session, actor=actor_for(tenant_a), connector_id=issued_b.connector.id
            )
