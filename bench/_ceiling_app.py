"""The ceiling of `bench/http_api.py`: the four crm endpoints it loads, as a bare Starlette app.

Same server settings as `nexo serve` (uvicorn, 2 processes, uvloop + httptools as uvicorn picks
them, `log_config=None`, `proxy_headers=True`, `server_header=False`), same database, same SQL
effects through asyncpg directly, the same response bytes rendered with orjson. What it leaves out is
everything that makes Nexo a product rather than a benchmark: no ORM, no tenant-scoping hook, no
pydantic models, no middleware, no idempotency, no rate limits, no validation beyond what the bench
sends. Per request it does the work Nexo cannot skip either:

- authentication: PyJWT decodes and verifies the same HS256 access token with the same checks
  (algorithm, issuer, audience, lifetime, required claims), then ONE narrow query checks the sign-in
  session is not revoked, the user and the tenant are active and reads the role's permissions —
  what Nexo's resolver checks per request, so revocation works on both;
- list: the page of 20 (`search_text LIKE '%needle%'`, newest first), the count only when the page is
  full (a short page knows its total, as `nexo.crm.clients.search` does), the page's tags;
- get: the client, its tags, its last 20 tasks;
- create: in one transaction, the client row, its tags, the tenant's counter, the audit record;
- login: the account by email, the same Argon2 verification (pwdlib, default parameters, in a
  thread), then in one transaction the sign-in session, the refresh token (stored as its SHA-256),
  `last_login_at` and the audit record; a JWT with the same claims.

Run by `bench/http_api.py` as `python -m bench._ceiling_app <port>` with `NEXO_BENCH_CEILING_DSN`
(a plain postgresql:// DSN) and `NEXO_SECRET_KEY` in the environment.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import orjson
import uvicorn
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nexo.crm.text import LIKE_ESCAPE, like_pattern, search_needle, search_text

DSN_ENV = "NEXO_BENCH_CEILING_DSN"
SURFACE, ISSUER = "crm", "nexo"
ACCESS_TTL, REFRESH_TTL = 3600, timedelta(days=30)  # Nexo's defaults for crm
POOL_SIZE = 20  # Nexo per process: pool_size 10 + max_overflow 10
HASHER = PasswordHash((Argon2Hasher(),))  # pwdlib's default Argon2id parameters, as Nexo's
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti", "sid"]
ROLE_FAMILIES = [SURFACE, "any"]

PRINCIPAL_SQL = """
SELECT r.permissions, r.surface AS role_surface, u.status, u.deleted_at, s.revoked_at,
       s.surface AS session_surface, t.status AS tenant_status
FROM login_sessions s
JOIN users u ON u.id = s.user_id
JOIN roles r ON r.id = u.role_id
LEFT JOIN tenants t ON t.id = u.tenant_id
WHERE s.id = $1 AND u.id = $2 AND u.tenant_id = $3
"""
OUT_COLUMNS = (
    "id, phone_number, first_name, last_name, email, company, city, country, lead_status, lead_score, "
    "segment, total_chats, last_contact_at, created_at"
)
DETAIL_COLUMNS = (
    f"{OUT_COLUMNS}, address, ltv, total_purchases, last_purchase_at, custom_fields, notes, is_blocked, "
    "opt_in, updated_at"
)
SEARCH = f"tenant_id = $1 AND search_text LIKE $2 ESCAPE '{LIKE_ESCAPE}'"
# Statements assembled from the constants above only (no input), hence the S608 exemptions.
LIST_SQL = f"SELECT {OUT_COLUMNS} FROM crm_clients WHERE {SEARCH} ORDER BY id DESC LIMIT $3 OFFSET $4"  # noqa: S608
COUNT_SQL = f"SELECT count(*) FROM crm_clients WHERE {SEARCH}"  # noqa: S608
GET_SQL = f"SELECT {DETAIL_COLUMNS} FROM crm_clients WHERE tenant_id = $1 AND id = $2"  # noqa: S608
TAGS_SQL = (
    "SELECT client_id, tag FROM crm_client_tags WHERE tenant_id = $1 AND client_id = ANY($2::int[]) "
    "ORDER BY tag"
)
TASKS_SQL = (
    "SELECT id, title, due_date, status FROM tasks WHERE tenant_id = $1 AND client_id = $2 "
    "ORDER BY id DESC LIMIT 20"
)
INSERT_CLIENT_SQL = """
INSERT INTO crm_clients (tenant_id, phone_number, first_name, last_name, email, company, city, country,
    address, lead_status, lead_score, ltv, total_purchases, segment, custom_fields, notes, is_blocked,
    opt_in, total_chats, search_text, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, $12, $13, $14, $15, $16, 0, $17, $18, $18)
RETURNING id
"""
INSERT_TAGS_SQL = (
    "INSERT INTO crm_client_tags (tenant_id, client_id, tag) SELECT $1, $2, unnest($3::varchar[])"
)
COUNT_UP_SQL = "UPDATE crm_client_totals SET clients = clients + 1 WHERE tenant_id = $1"
AUDIT_SQL = """
INSERT INTO audit_records (tenant_id, occurred_at, actor_type, actor_id, action, entity_type, entity_id,
    changes, success, ip, user_agent, request_id)
VALUES ($1, $2, 'user', $3, $4, $5, $6, $7, true, $8, $9, $10)
"""
ACCOUNTS_SQL = """
SELECT u.id, u.email, u.first_name, u.last_name, u.password_hash, u.status, u.tenant_id,
       u.totp_enabled_at, r.id AS role_id, r.name AS role_name, r.display_name, r.surface AS role_surface,
       r.permissions, t.status AS tenant_status
FROM users u JOIN roles r ON r.id = u.role_id LEFT JOIN tenants t ON t.id = u.tenant_id
WHERE u.email = $1 AND u.deleted_at IS NULL AND u.password_hash IS NOT NULL AND r.surface = ANY($2::varchar[])
ORDER BY u.id LIMIT 5
"""
SESSION_SQL = """
INSERT INTO login_sessions (id, tenant_id, user_id, surface, method, created_at, ip, user_agent)
VALUES ($1, $2, $3, $4, 'password', $5, $6, $7)
"""
REFRESH_SQL = """
INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, user_id, surface, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
LAST_LOGIN_SQL = "UPDATE users SET last_login_at = $1, updated_at = $1 WHERE id = $2"
LOGIN_AUDIT_SQL = """
INSERT INTO audit_records (tenant_id, occurred_at, actor_type, actor_id, action, entity_type, entity_id,
    changes, success, ip, user_agent, request_id)
VALUES ($1, $2, 'user', $3, 'auth.login', 'User', $3, $4, true, $5, $6, $7)
"""
AUDITED = (
    "phone_number", "first_name", "last_name", "email", "company", "city", "country", "address",
    "lead_status", "lead_score", "segment", "custom_fields", "notes", "is_blocked", "opt_in",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    tenant_id: int
    permissions: frozenset[str]


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), status, media_type="application/json")


def _error(status: int, code: str) -> Response:
    return _json({"error": {"code": code}}, status)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.secret
    return secret


async def _caller(request: Request, connection: asyncpg.Connection, permission: str) -> Caller | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims = jwt.decode(
            token.strip(),
            _secret(request),
            algorithms=["HS256"],
            audience=SURFACE,
            issuer=ISSUER,
            leeway=10,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.PyJWTError:
        return None
    row = await connection.fetchrow(PRINCIPAL_SQL, claims["sid"], int(claims["sub"]), claims["tid"])
    usable = (
        row is not None
        and row["revoked_at"] is None
        and row["session_surface"] == SURFACE
        and row["status"] == "active"
        and row["deleted_at"] is None
        and row["tenant_status"] in (None, "active")
        and row["role_surface"] in ROLE_FAMILIES
    )
    if not usable:
        return None
    permissions = frozenset(orjson.loads(row["permissions"]))
    if permission not in permissions and "*" not in permissions:
        return None
    return Caller(int(claims["sub"]), int(claims["tid"]), permissions)


def _client_out(row: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    """crm's `ClientOut`, keys in its order (`tags` sits between `segment` and `total_chats`)."""
    return {
        "id": row["id"],
        "phone_number": row["phone_number"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "company": row["company"],
        "city": row["city"],
        "country": row["country"],
        "lead_status": row["lead_status"],
        "lead_score": row["lead_score"],
        "segment": row["segment"],
        "tags": tags,
        "total_chats": row["total_chats"],
        "last_contact_at": row["last_contact_at"],
        "created_at": row["created_at"],
    }


def _money(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


def _client_detail(row: Mapping[str, Any], tags: list[str], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    custom = row["custom_fields"]
    return {
        **_client_out(row, tags),
        "address": row["address"],
        "ltv": _money(row["ltv"]),
        "total_purchases": row["total_purchases"],
        "last_purchase_at": row["last_purchase_at"],
        "custom_fields": orjson.loads(custom) if isinstance(custom, str) else custom,
        "notes": row["notes"],
        "is_blocked": row["is_blocked"],
        "opt_in": row["opt_in"],
        "chats": [],
        "tasks": tasks,
        "updated_at": row["updated_at"],
    }


async def _tags(connection: asyncpg.Connection, tenant_id: int, ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {client_id: [] for client_id in ids}
    for row in await connection.fetch(TAGS_SQL, tenant_id, ids):
        tags[row["client_id"]].append(row["tag"])
    return tags


async def list_clients(request: Request) -> Response:
    async with _pool(request).acquire() as connection:
        caller = await _caller(request, connection, "clients.read")
        if caller is None:
            return _error(401, "INVALID_TOKEN")
        page = int(request.query_params.get("page", "1"))
        limit = int(request.query_params.get("limit", "20"))
        pattern = like_pattern(search_needle(request.query_params["search"]))
        offset = (page - 1) * limit
        rows = await connection.fetch(LIST_SQL, caller.tenant_id, pattern, limit, offset)
        if rows and len(rows) < limit:
            total = offset + len(rows)
        else:
            total = await connection.fetchval(COUNT_SQL, caller.tenant_id, pattern)
        tags = await _tags(connection, caller.tenant_id, [row["id"] for row in rows])
    meta = {"current_page": page, "per_page": limit, "total": total, "total_pages": -(-total // limit)}
    return _json({"data": [_client_out(row, tags[row["id"]]) for row in rows], "meta": meta})


async def get_client(request: Request) -> Response:
    client_id: int = request.path_params["client_id"]
    async with _pool(request).acquire() as connection:
        caller = await _caller(request, connection, "clients.read")
        if caller is None:
            return _error(401, "INVALID_TOKEN")
        row = await connection.fetchrow(GET_SQL, caller.tenant_id, client_id)
        if row is None:
            return _error(404, "NOT_FOUND")
        tags = await _tags(connection, caller.tenant_id, [client_id])
        tasks = [dict(task) for task in await connection.fetch(TASKS_SQL, caller.tenant_id, client_id)]
    return _json(_client_detail(row, tags[client_id], tasks))


def _new_client(body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The stored values of a new client: the body over the defaults (the bench sends E.164 phones)."""
    values: dict[str, Any] = {
        "first_name": "", "last_name": "", "email": None, "company": None, "city": None,
        "country": None, "address": None, "lead_status": "new", "lead_score": 0, "segment": None,
        "custom_fields": {}, "notes": None, "is_blocked": False, "opt_in": False,
        **{key: value for key, value in body.items() if key != "tags"},
    }  # fmt: skip
    if values["email"]:
        values["email"] = values["email"].strip().lower()
    values["tags"] = list(dict.fromkeys(tag.strip().casefold() for tag in body.get("tags", [])))
    values.update(id=None, ltv=0, total_purchases=0, last_purchase_at=None, total_chats=0)
    values.update(last_contact_at=None, created_at=now, updated_at=now)
    return values


def _creation_changes(values: Mapping[str, Any]) -> dict[str, Any]:
    after = {name: values[name] for name in AUDITED} | {"tags": values["tags"]}
    return {name: {"from": None, "to": after[name]} for name in sorted(after) if after[name] is not None}


async def create_client(request: Request) -> Response:
    body = orjson.loads(await request.body())
    now = datetime.now(UTC)
    values = _new_client(body, now)
    text = search_text(
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone_number"],
    )
    async with _pool(request).acquire() as connection:
        caller = await _caller(request, connection, "clients.create")
        if caller is None:
            return _error(401, "INVALID_TOKEN")
        try:
            async with connection.transaction():
                values["id"] = await connection.fetchval(
                    INSERT_CLIENT_SQL,
                    caller.tenant_id,
                    *(values[name] for name in AUDITED[:10]),
                    values["segment"],
                    orjson.dumps(values["custom_fields"]).decode(),
                    values["notes"],
                    values["is_blocked"],
                    values["opt_in"],
                    text,
                    now,
                )
                if values["tags"]:
                    await connection.execute(INSERT_TAGS_SQL, caller.tenant_id, values["id"], values["tags"])
                await connection.execute(COUNT_UP_SQL, caller.tenant_id)
                await _audit_creation(request, connection, caller, values)
        except asyncpg.UniqueViolationError:
            return _error(409, "DUPLICATE_PHONE")
    return _json(_client_detail(values, values["tags"], []), 201)


async def _audit_creation(
    request: Request, connection: asyncpg.Connection, caller: Caller, values: Mapping[str, Any]
) -> None:
    await connection.execute(
        AUDIT_SQL,
        caller.tenant_id,
        datetime.now(UTC),
        str(caller.user_id),
        "client.created",
        "Client",
        str(values["id"]),
        orjson.dumps(_creation_changes(values)).decode(),
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
        f"req_{uuid.uuid4().hex}",
    )


async def login(request: Request) -> Response:
    body = orjson.loads(await request.body())
    email = str(body["email"]).strip().lower()
    async with _pool(request).acquire() as connection:
        accounts = await connection.fetch(ACCOUNTS_SQL, email, ROLE_FAMILIES)
    matched = [
        account
        for account in accounts
        if (await asyncio.to_thread(HASHER.verify_and_update, body["password"], account["password_hash"]))[0]
    ]
    if len(matched) != 1:
        return _error(401, "INVALID_CREDENTIALS")
    user = matched[0]
    if user["status"] != "active" or user["tenant_status"] not in (None, "active"):
        return _error(403, "ACCOUNT_DISABLED")
    session_id, refresh = uuid.uuid4().hex, f"nx_rt_{secrets.token_urlsafe(32)}"
    now = datetime.now(UTC)
    ip = request.client.host if request.client else None
    async with _pool(request).acquire() as connection, connection.transaction():
        tenant_id, user_id = user["tenant_id"], user["id"]
        agent = request.headers.get("user-agent")
        await connection.execute(SESSION_SQL, session_id, tenant_id, user_id, SURFACE, now, ip, agent)
        digest = hashlib.sha256(refresh.encode()).hexdigest()
        args = (tenant_id, digest, session_id, user_id, SURFACE, now, now + REFRESH_TTL)
        await connection.execute(REFRESH_SQL, *args)
        await connection.execute(LAST_LOGIN_SQL, now, user_id)
        changes = {"surface": {"from": None, "to": SURFACE}, "method": {"from": None, "to": "password"}}
        await connection.execute(
            LOGIN_AUDIT_SQL,
            tenant_id,
            now,
            str(user_id),
            orjson.dumps(changes).decode(),
            ip,
            agent,
            f"req_{uuid.uuid4().hex}",
        )
    return _json(
        {
            "access_token": _access_token(request, user_id, tenant_id, session_id),
            "refresh_token": refresh,
            "expires_in": ACCESS_TTL,
            "user": {
                "id": user_id,
                "email": user["email"],
                "first_name": user["first_name"],
                "last_name": user["last_name"],
                "role": {
                    "id": user["role_id"],
                    "name": user["role_name"],
                    "display_name": user["display_name"],
                },
                "permissions": sorted(orjson.loads(user["permissions"])),
            },
        }
    )


def _access_token(request: Request, user_id: int, tenant_id: int, session_id: str) -> str:
    issued = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "aud": SURFACE,
        "tid": tenant_id,
        "sid": session_id,
        "iat": issued,
        "exp": issued + ACCESS_TTL,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, _secret(request), algorithm="HS256")


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(os.environ[DSN_ENV], min_size=2, max_size=POOL_SIZE)
        app.state.secret = os.environ["NEXO_SECRET_KEY"].encode()
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/crm/v1/auth/login", login, methods=["POST"]),
            Route("/crm/v1/clients", list_clients, methods=["GET"]),
            Route("/crm/v1/clients", create_client, methods=["POST"]),
            Route("/crm/v1/clients/{client_id:int}", get_client, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(port: int, *, workers: int) -> None:
    """The same `uvicorn.run` settings as `nexo serve` (src/nexo/cli.py)."""
    uvicorn.run(
        "bench._ceiling_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    serve(int(sys.argv[1]), workers=int(sys.argv[2]) if len(sys.argv) > 2 else 2)
