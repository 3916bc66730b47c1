"""Builders for receivables tests: a tenant with a collections user and a registered connector, and
snapshots serialised the way a connector would (orjson, sorted keys, exact decimals)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
from tests.identity_support import auth_headers, create_tenant, create_user, issue_token

from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.core.settings import Settings
from nexo.credentials.connectors import ConnectorRegistration, create_link_code, register_connector
from nexo.receivables.calendar import local_today
from nexo.tenants.models import Tenant

SYNC_PATH = "/collections/v1/sync/cartera"


@dataclass(frozen=True, slots=True)
class ConnectorCredentials:
    id: uuid.UUID
    access_token: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "X-Connector-Id": str(self.id)}


@dataclass(frozen=True, slots=True)
class Org:
    tenant: Tenant
    user_token: str
    connector: ConnectorCredentials

    @property
    def user_headers(self) -> dict[str, str]:
        return auth_headers(self.user_token)

    @property
    def today(self) -> date:
        return local_today(self.tenant.timezone)


async def create_connector(
    database: Database, settings: Settings, tenant: Tenant, *, empresas: list[dict[str, str]] | None = None
) -> ConnectorCredentials:
    actor = Principal(kind="user", id="1", tenant_id=tenant.id)
    async with database.transaction(tenant_id=tenant.id) as session:
        code = await create_link_code(session, actor=actor)
    async with database.transaction() as session:
        issued = await register_connector(
            session,
            settings,
            ConnectorRegistration(
                link_code=code.code,
                name="Servidor Principal",
                machine_fingerprint="fp-test",
                version="2.0.0",
                empresas=empresas or [{"id": "01", "nombre": "Empresa Principal"}],
            ),
        )
    return ConnectorCredentials(id=issued.connector.id, access_token=issued.access_token)


async def create_org(database: Database, settings: Settings, *, role: str = "owner") -> Org:
    tenant = await create_tenant(database)
    user = await create_user(database, tenant=tenant, surface="collections", role=role)
    token = await issue_token(database, settings, user, surface="collections")
    return Org(tenant=tenant, user_token=token, connector=await create_connector(database, settings, tenant))


def _fragment(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value).encode())
    raise TypeError(type(value).__name__)


def connector_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """JSON as a connector writes it: decimals with their digits, UTF-8, no spaces."""
    return orjson.dumps(value, default=_fragment, option=orjson.OPT_SORT_KEYS if sort_keys else 0)


def checksum(data: Any) -> str:
    """An implementation of the documented rule independent of the server's: orjson, sorted keys."""
    return hashlib.sha256(connector_json(data, sort_keys=True)).hexdigest()


def invoice(
    folio: str, *, due: date, saldo: str, total: str | None = None, fecha: date | None = None
) -> dict[str, Any]:
    return {
        "folio": folio,
        "fecha": (fecha or due - timedelta(days=30)).isoformat(),
        "vencimiento": due.isoformat(),
        "total": Decimal(total or saldo),
        "saldo": Decimal(saldo),
    }


def debtor(clave: str, nombre: str, facturas: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"clave": clave, "nombre": nombre, "rfc": f"{clave}010101000"[:13], "facturas": facturas, **extra}


def sync_body(clientes: list[dict[str, Any]], *, empresa_id: str = "01", **extra: Any) -> dict[str, Any]:
    data = {"clientes": clientes}
    return {
        "empresaId": empresa_id,
        "timestamp": "2025-12-22T15:30:00Z",
        "checksum": checksum(data),
        "data": data,
        **extra,
    }


async def push(http: httpx.AsyncClient, org: Org, body: dict[str, Any]) -> httpx.Response:
    return await http.post(
        SYNC_PATH,
        content=connector_json(body),
        headers={**org.connector.headers(), "Content-Type": "application/json"},
    )
