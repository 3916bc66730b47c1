"""Realistic crm data for the benchmarks, written fast: tenants, a signed-in crm admin, and clients.

`await seed_crm(url, clients=100_000, other_tenants=10, other_clients=2_000)` migrates nothing (call
`upgrade_to_head` first) and returns a `CrmSeed`: the main tenant with `clients` clients, its admin
user (email and password) and ten other tenants with `other_clients` clients each, so every query has
other tenants' rows to skip.

Tenants, roles and the user go through Nexo's own services (so roles and password hashes are real);
clients are written with PostgreSQL's COPY, filling every column the application relies on: an E.164
phone unique per tenant, Spanish names with accents, `search_text` folded exactly as
`nexo.crm.text.search_text` folds it, and the tenant's `crm_client_totals` counter.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from bench._support import asyncpg_dsn
from bench._tenants import tenant_with_user
from nexo.core.db.session import Database
from nexo.crm.text import search_text
from nexo.models import Base  # noqa: F401 - every table, for the foreign keys

ADMIN_PASSWORD = "bench-password-2026"  # noqa: S105 - a benchmark fixture
FIRST_NAMES = (
    "María", "José", "Juan", "Ana", "Luis", "Carmen", "Jorge", "Lucía", "Andrés", "Sofía", "Ramón",
    "Inés", "Íñigo", "Mónica", "Raúl", "Verónica", "Sebastián", "Valentina", "Martín", "Camila",
    "Héctor", "Paola", "Óscar", "Daniela", "Nicolás", "Gabriela", "Tomás", "Renata", "Joaquín", "Ximena",
)  # fmt: skip
LAST_NAMES = (
    "Rodríguez", "González", "Hernández", "López", "Martínez", "Pérez", "Sánchez", "Ramírez", "Torres",
    "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz", "Chávez",
    "Ruiz", "Jiménez", "Muñoz", "Álvarez", "Castillo", "Romero", "Vásquez", "Núñez", "Ibáñez", "Peña",
    "Fernández", "Mendoza", "Aguilar", "Vargas", "Castro", "Rojas", "Guzmán", "Salazar", "Ávila",
)  # fmt: skip
CITIES = ("Bogotá", "Medellín", "Cali", "Ciudad de México", "Guadalajara", "Monterrey", "Lima", "Quito")
LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
SEGMENTS = ("vip", "regular", "mayorista", None)
COLUMNS = (
    "tenant_id", "phone_number", "first_name", "last_name", "email", "company", "city", "country",
    "address", "lead_status", "lead_score", "ltv", "total_purchases", "last_purchase_at", "segment",
    "custom_fields", "notes", "is_blocked", "opt_in", "total_chats", "last_contact_at", "search_text",
    "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class CrmSeed:
    tenant_id: int
    admin_email: str
    admin_password: str
    other_tenant_ids: tuple[int, ...]
    clients: int


def phone_of(tenant_id: int, n: int) -> str:
    """A Colombian mobile number (+57 3xx), unique per tenant for n < 10,000,000."""
    return f"+573{tenant_id % 20:02d}{n:07d}"


def client_rows(tenant_id: int, count: int, *, seed: int = 7) -> Iterator[tuple[object, ...]]:
    """`count` client rows of `tenant_id` in `COLUMNS` order, deterministic for a seed."""
    rng = random.Random(seed * 1_000_003 + tenant_id)
    now = datetime.now(UTC)
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
        phone = phone_of(tenant_id, n)
        email = f"{first.lower()}.{n}@correo.example" if n % 3 else None
        created = now - timedelta(minutes=count - n)
        yield (
            tenant_id, phone, first, last, email, None, rng.choice(CITIES), "CO", None,
            rng.choice(LEAD_STATUSES), rng.randrange(100), 0, 0, None, rng.choice(SEGMENTS),
            "{}", None, False, n % 2 == 0, 0, None,
            search_text(first_name=first, last_name=last, email=email, phone=phone),
            created, created,
        )  # fmt: skip


async def _tenant_with_admin(database: Database, slug: str) -> tuple[int, str]:
    made = await tenant_with_user(database, slug, role=("crm", "admin"), password=ADMIN_PASSWORD)
    return made.tenant_id, made.email


async def copy_clients(url: str, tenant_id: int, count: int) -> None:
    """COPY `count` clients into `tenant_id` and set its client counter."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "crm_clients", records=client_rows(tenant_id, count), columns=COLUMNS
            )
            await connection.execute(
                "INSERT INTO crm_client_totals (tenant_id, clients) VALUES ($1, $2) "
                "ON CONFLICT (tenant_id) DO UPDATE SET clients = crm_client_totals.clients + $2",
                tenant_id,
                count,
            )
        await connection.execute("ANALYZE crm_clients")
    finally:
        await connection.close()


async def seed_crm(
    url: str, *, clients: int = 100_000, other_tenants: int = 10, other_clients: int = 2_000
) -> CrmSeed:
    database = Database(url, pool_size=2)
    run = uuid.uuid4().hex[:6]
    try:
        tenant_id, email = await _tenant_with_admin(database, f"bench-{run}")
        others = [(await _tenant_with_admin(database, f"other{n}-{run}"))[0] for n in range(other_tenants)]
    finally:
        await database.dispose()
    for other in others:
        await copy_clients(url, other, other_clients)
    await copy_clients(url, tenant_id, clients)
    return CrmSeed(tenant_id, email, ADMIN_PASSWORD, tuple(others), clients)
