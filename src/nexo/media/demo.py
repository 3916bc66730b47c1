"""Demo data for the media surface: a small agency book, so `make run` shows real figures.

Idempotent: a tenant that already has media clients is left alone. Everything goes through the
services, so the demo rows have audit records and events like any other.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.tenancy import current_tenant_id
from nexo.media import campaigns, catalog, orders, parties
from nexo.media.models import Cliente, Proveedor

_FLOW = {
    "pendiente": (),
    "aprobada": ("aprobada",),
    "en_ejecucion": ("aprobada", "en_ejecucion"),
    "completada": ("aprobada", "en_ejecucion", "completada"),
    "facturada": ("aprobada", "en_ejecucion", "completada", "facturada"),
}


async def load_media_demo(session: AsyncSession, *, today: date | None = None) -> bool:
    """Fill the session's tenant with demo media data; False when it already had some."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("load_media_demo needs a session scoped to the demo tenant")
    if await session.scalar(select(func.count(Cliente.id))):
        return False
    actor = Principal(kind="user", id="demo", tenant_id=tenant_id)
    today = today or date.today()
    clientes = [
        await parties.create(
            session, actor, Cliente, {"nombre": nombre, "email": email, "industria": industria}
        )
        for nombre, email, industria in (
            ("Comercializadora del Norte", "compras@norte.example", "retail"),
            ("Bebidas del Pacífico", "marketing@pacifico.example", "bebidas"),
            ("Financiera Azteca", "medios@azteca.example", "finanzas"),
        )
    ]
    tv = await parties.create(session, actor, Proveedor, {"nombre": "Televisora Central"})
    web = await parties.create(session, actor, Proveedor, {"nombre": "Red Digital MX"})
    canal = await catalog.create_medio(
        session, actor, _medio("Canal 5", "tv", tv.id, "Spot 20s", "spot", "18000", "24000")
    )
    radio = await catalog.create_medio(
        session, actor, _medio("Radio Fórmula", "radio", tv.id, "Mención", "mención", "900", "1300")
    )
    portal = await catalog.create_medio(
        session, actor, _medio("Portal Noticias", "digital", web.id, "Mil impresiones", "CPM", "45", "70")
    )
    campana = await campaigns.create_campana(
        session,
        actor,
        {
            "cliente_id": clientes[0].id,
            "nombre": "Buen Fin",
            "fecha_inicio": today - timedelta(days=20),
            "fecha_fin": today + timedelta(days=10),
            "presupuesto": Decimal("750000.00"),
            "status": "activa",
        },
    )
    plan = [
        (clientes[0].id, campana.id, canal, "12", 40, "facturada"),
        (clientes[0].id, campana.id, portal, "800", 12, "completada"),
        (clientes[1].id, None, radio, "60", 8, "en_ejecucion"),
        (clientes[2].id, None, canal, "4", 3, "aprobada"),
        (clientes[1].id, None, portal, "250", 1, "pendiente"),
    ]
    # Read now: loading an order re-reads its medio, which drops the medio's (lazy="raise") rate card.
    spot = {medio.id: medio.tarifas[0].id for medio in (canal, radio, portal)}
    for cliente_id, campana_id, medio, cantidad, days_ago, estado in plan:
        orden = await orders.create_orden(
            session,
            actor,
            {
                "cliente_id": cliente_id,
                "campana_id": campana_id,
                "medio_id": medio.id,
                "fecha": today - timedelta(days=days_ago),
                "items": [{"tarifa_id": spot[medio.id], "cantidad": Decimal(cantidad)}],
            },
        )
        for step in _FLOW[estado]:
            extra = {"factura_folio": f"DEMO-{orden.id}"} if step == "facturada" else {}
            await orders.update_orden(session, actor, orden.id, {"estado": step, **extra})
    return True


def _medio(
    nombre: str, tipo: str, proveedor_id: int, concepto: str, unidad: str, costo: str, precio: str
) -> dict[str, Any]:
    tarifa = {
        "concepto": concepto,
        "unidad": unidad,
        "costo_unitario": Decimal(costo),
        "precio_unitario": Decimal(precio),
    }
    return {"nombre": nombre, "tipo": tipo, "proveedor_id": proveedor_id, "tarifas": [tarifa]}
