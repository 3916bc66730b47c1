"""The media demo loader: real figures through the services, and idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from tests.identity_support import create_tenant

from nexo.core.db.session import Database
from nexo.media import reports
from nexo.media.demo import load_media_demo
from nexo.media.models import Cliente, Orden


async def test_the_demo_loads_once_with_consistent_figures(database: Database) -> None:
    tenant = await create_tenant(database)
    today = date(2024, 11, 29)
    async with database.transaction(tenant_id=tenant.id) as session:
        assert await load_media_demo(session, today=today) is True
    async with database.transaction(tenant_id=tenant.id) as session:
        assert await load_media_demo(session, today=today) is False
        assert await session.scalar(select(func.count(Cliente.id))) == 3
        by_state = select(Orden.estado, func.count()).group_by(Orden.estado)
        estados: dict[str, int] = {row[0]: row[1] for row in (await session.execute(by_state)).all()}
        report = await reports.rentabilidad(session, reports.Range(), agrupar_por="cliente")
    assert estados == {"facturada": 1, "completada": 1, "en_ejecucion": 1, "aprobada": 1, "pendiente": 1}
    # 12 spots × 24,000 + 800 CPM × 70 + 60 menciones × 1,300 + 4 spots × 24,000 (the pending one excluded)
    assert report.totales["ingresos"] == 288000 + 56000 + 78000 + 96000
    assert report.totales["costo"] == 12 * 18000 + 800 * 45 + 60 * 900 + 4 * 18000
