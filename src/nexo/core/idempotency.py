"""`Idempotency-Key` on POST: a retried request gets the first one's answer instead of a second effect.

Policy (published in the README, as the IETF draft asks):
- Keys are scoped to the caller (surface + principal); anonymous requests ignore the header.
- The stored result is written in the same transaction as the change it describes, so a key is
  remembered exactly when its effect committed. A request that failed (any error status) leaves no
  trace and may be retried with the same key; validation errors are never stored either.
- Same key, same method + path + body → the stored status and body, with `Idempotent-Replayed: true`.
- Same key, different request → 422 `IDEMPOTENCY_KEY_REUSED`.
- Same key while the first is still running → the second waits for it (PostgreSQL's unique index
  makes it), then replays its result; on SQLite writers are serialised anyway.
- Keys expire after 24 hours; an expired key is treated as new.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from nexo.core.auth.principal import Principal
from nexo.core.db.base import Base
from nexo.core.db.types import UTCDateTime, utcnow
from nexo.core.errors import BadRequest, ErrorDetail, Unprocessable

KEY_TTL = timedelta(hours=24)
HEADER = "idempotency-key"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
_STORED_HEADERS = ("content-type", "location", "etag")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_headers: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class IdempotentReplay(Exception):
    """Raised to short-circuit a request whose result is already known."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


def parse_key(raw: str) -> str:
    """The key, from Stripe's bare form or the IETF draft's sf-string (`"..."`)."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY_PATTERN.fullmatch(key):
        raise BadRequest(
            "Idempotency-Key must be 1-255 visible ASCII characters.",
            code="INVALID_IDEMPOTENCY_KEY",
            details=[ErrorDetail("Idempotency-Key", "1-255 visible ASCII characters")],
        )
    return key


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(await request.body())
    return digest.hexdigest()


async def _find(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
    )
    record: IdempotencyRecord | None = await session.scalar(statement)
    return record


async def _claim(session: AsyncSession, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert this request's marker; None when another request with the key committed first."""
    now = utcnow()
    record = IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint, expires_at=now + KEY_TTL)
    try:
        async with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return None
    return record


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(
        line.split(": ", 1) for line in (record.response_headers or "").splitlines() if ": " in line
    )
    headers["Idempotent-Replayed"] = "true"
    return Response(
        content=record.response_body or b"", status_code=record.response_status or 200, headers=headers
    )


async def guard_idempotency(
    request: Request, session: AsyncSession, principal: Principal, *, surface: str
) -> None:
    """Called once the caller is known: replay, refuse, or mark this request as the key's first."""
    raw = request.headers.get(HEADER)
    if request.method != "POST" or raw is None or getattr(request.state, "idempotency_checked", False):
        return
    request.state.idempotency_checked = True
    key = parse_key(raw)
    scope = f"{surface}:{principal.kind}:{principal.id}"
    fingerprint = await _fingerprint(request)
    existing = await _find(session, scope, key)
    if existing is not None and existing.expires_at <= utcnow():
        await session.delete(existing)
        await session.flush()
        existing = None
    if existing is None:
        claimed = await _claim(session, scope, key, fingerprint)
        if claimed is not None:
            request.state.idempotency_record = claimed
            return
        existing = await _find(session, scope, key)
        assert existing is not None  # the row that beat us to the unique index
    if existing.fingerprint != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request.", code="IDEMPOTENCY_KEY_REUSED"
        )
    raise IdempotentReplay(_replay(existing))


def remember_response(request: Request, response: Response) -> None:
    """Store a successful response on this request's marker, in the request's transaction."""
    record: IdempotencyRecord | None = getattr(request.state, "idempotency_record", None)
    body = getattr(response, "body", None)
    if record is None or not isinstance(body, bytes):
        return
    record.response_status = response.status_code
    record.response_body = body
    record.response_headers = "\n".join(
        f"{name}: {response.headers[name]}" for name in _STORED_HEADERS if name in response.headers
    )
