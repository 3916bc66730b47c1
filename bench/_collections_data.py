"""Realistic collections data for the benchmarks: a tenant with a signed-in collections owner and a
registered connector, and snapshots a connector would push.

`portfolio(clients=10_000, invoices=100_000, today=…)` is a full snapshot's `data`: a varying number
of invoices per client (at least one, about ten on average, a few with dozens), one to three contacts
with e-mail and phone, an address, invoice dates spread over the last year with 15–90 day terms,
amounts with cents, most invoices unpaid, some partly paid, a few already at zero.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench._tenants import tenant_with_user
from nexo.core.auth.principal import Principal
from nexo.core.db.session import Database
from nexo.credentials.connectors import create_link_code
from nexo.models import Base  # noqa: F401 - every table, for the foreign keys

OWNER_PASSWORD = "bench-password-2026"  # noqa: S105 - a benchmark fixture
FIRST = ("María", "José", "Juan", "Ana", "Luis", "Carmen", "Jorge", "Lucía", "Andrés", "Sofía", "Raúl")
LAST = ("Rodríguez", "González", "Hernández", "López", "Martínez", "Pérez", "Sánchez", "Ramírez", "Núñez")
KINDS = ("Comercial", "Distribuidora", "Ferretería", "Abarrotes", "Refacciones", "Papelería", "Farmacia")
CITIES = ("Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Querétaro", "Mérida", "León")
TERMS = (15, 30, 30, 30, 45, 60, 90)


@dataclass(frozen=True)
class CollectionsTenant:
    tenant_id: int
    owner_email: str
    link_code: str


async def create_collections_tenant(database: Database, slug: str) -> CollectionsTenant:
    """A tenant with its default roles, a collections owner (password `OWNER_PASSWORD`) and a fresh
    connector link code, all through Nexo's own services."""
    owner = await tenant_with_user(database, slug, role=("collections", "owner"), password=OWNER_PASSWORD)
    async with database.transaction(tenant_id=owner.tenant_id) as session:
        actor = Principal(kind="user", id=str(owner.user_id), tenant_id=owner.tenant_id)
        code = await create_link_code(session, actor=actor)
    return CollectionsTenant(owner.tenant_id, owner.email, code.code)


def _invoice_counts(rng: random.Random, clients: int, invoices: int) -> list[int]:
    """At least one invoice per client, the rest spread at random (about Poisson-distributed)."""
    counts = [1] * clients
    for _ in range(invoices - clients):
        counts[rng.randrange(clients)] += 1
    return counts


def _amounts(rng: random.Random) -> tuple[Decimal, Decimal]:
    total = Decimal(rng.randint(5_000, 25_000_000)) / 100  # 50.00 … 250,000.00
    roll = rng.random()
    if roll < 0.70:
        return total, total
    if roll < 0.95:  # partly paid
        return total, (total * Decimal(rng.randint(5, 95)) / 100).quantize(Decimal("0.01"))
    return total, Decimal("0.00")


def _client(rng: random.Random, number: int, count: int, today: date) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    facturas = []
    for index in range(count):
        issued = today - timedelta(days=rng.randint(0, 365))
        total, saldo = _amounts(rng)
        facturas.append(
            {
                "folio": f"A{number:06d}-{index:04d}",
                "fecha": issued.isoformat(),
                "vencimiento": (issued + timedelta(days=rng.choice(TERMS))).isoformat(),
                "total": total,
                "saldo": saldo,
            }
        )
    contactos = [
        {
            "nombre": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"cobranza{number}.{n}@cliente{number}.example",
            "telefono": f"55{rng.randint(10_000_000, 99_999_999)}",
            **({"principal": True} if n == 0 else {}),
        }
        for n in range(rng.randint(1, 3))
    ]
    return {
        "clave": f"C{number:06d}",
        "nombre": f"{rng.choice(KINDS)} {first} {last} S.A. de C.V.",
        "rfc": f"{last[:3].upper()}{rng.randint(100_000, 999_999)}{number % 1000:03d}"[:13],
        "direccion": {
            "calle": f"Av. Reforma {rng.randint(1, 999)}",
            "colonia": "Centro",
            "ciudad": rng.choice(CITIES),
            "cp": f"{rng.randint(1_000, 99_999):05d}",
        },
        "ultimoPago": (today - timedelta(days=rng.randint(0, 200))).isoformat(),
        "facturas": facturas,
        "contactos": contactos,
    }


def portfolio(*, clients: int, invoices: int, today: date, seed: int = 11) -> dict[str, Any]:
    """A full snapshot's `data` with exactly `clients` clients and `invoices` invoices."""
    rng = random.Random(seed)  # reproducible data, not a secret
    counts = _invoice_counts(rng, clients, invoices)
    return {"clientes": [_client(rng, n + 1, counts[n], today) for n in range(clients)]}


def with_payments(data: dict[str, Any], *, every: int, seed: int = 5) -> tuple[dict[str, Any], int]:
    """A copy of `data` where one open invoice in `every` received a partial payment (its saldo went
    down by a random amount with cents); returns the copy and how many invoices changed."""
    rng = random.Random(seed)
    changed = 0
    clientes = []
    position = 0
    for cliente in data["clientes"]:
        facturas = []
        for factura in cliente["facturas"]:
            position += 1
            if position % every == 0 and factura["saldo"] > 1:
                paid = (factura["saldo"] * Decimal(rng.randint(1, 99)) / 100).quantize(Decimal("0.01"))
                factura = {**factura, "saldo": factura["saldo"] - max(paid, Decimal("0.01"))}
                changed += 1
            facturas.append(factura)
        clientes.append({**cliente, "facturas": facturas})
    return {"clientes": clientes}, changed


def run_id() -> str:
    return uuid.uuid4().hex[:6]
