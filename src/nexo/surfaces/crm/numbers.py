"""crm §4 (WhatsApp numbers).

    GET    /whatsapp-numbers                 status, provider                 whatsapp.numbers.read
    POST   /whatsapp-numbers                 §4.2/4.3 (201, with webhook_url)  whatsapp.numbers.manage
    GET    /whatsapp-numbers/:id             one number                       whatsapp.numbers.read
    GET    /whatsapp-numbers/:id/status      §4.4, asks the provider          whatsapp.numbers.read
    GET    /whatsapp-numbers/:id/qr          §4.5 (wppconnect, evolution)     whatsapp.numbers.manage
    POST   /whatsapp-numbers/:id/disconnect  §4.6                             whatsapp.numbers.manage
    POST   /whatsapp-numbers/:id/reconnect   §4.7                             whatsapp.numbers.manage
    PUT    /whatsapp-numbers/:id             §4.8 (secrets may be rotated)    whatsapp.numbers.manage
    DELETE /whatsapp-numbers/:id             §4.9 (204, soft delete)          whatsapp.numbers.manage

A GET that asks the provider writes what it learned (health, state) in a transaction of its own:
GET sessions are read-only (see `nexo.core.db.session`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.http.deps import RuntimeDep, SessionDep
from nexo.crm.campaigns.models import Campaign, CampaignNumber
from nexo.crm.numbers import service
from nexo.crm.numbers.models import WhatsAppNumber
from nexo.surfaces.base import surface_router
from nexo.surfaces.crm.number_schemas import (
    Health,
    NumberCampaign,
    NumberCreate,
    NumberCreated,
    NumberList,
    NumberOut,
    NumberStatus,
    NumberStatusOut,
    NumberUpdate,
    Provider,
    QrOut,
)
from nexo.surfaces.crm.wire import IdPath, allowed

router = surface_router(prefix="/whatsapp-numbers", tags=["whatsapp numbers"])

NumberId = Annotated[int, IdPath("The number's id.")]
Reader = Annotated[Principal, allowed("whatsapp.numbers.read")]
Manager = Annotated[Principal, allowed("whatsapp.numbers.manage")]
QR_LIFETIME = timedelta(seconds=60)  # WhatsApp rotates pairing codes about every minute
SECRET_FIELDS = frozenset(NumberUpdate.model_fields) - {
    "display_name",
    "status",
    "daily_message_limit",
    "rate_limit_per_minute",
}


async def _outs(session: AsyncSession, numbers: list[WhatsAppNumber]) -> list[NumberOut]:
    ids = [number.id for number in numbers]
    campaigns: dict[int, list[NumberCampaign]] = {number_id: [] for number_id in ids}
    if ids:
        rows = await session.execute(
            select(CampaignNumber.whatsapp_number_id, Campaign.id, Campaign.name)
            .join(Campaign, Campaign.id == CampaignNumber.campaign_id)
            .where(CampaignNumber.whatsapp_number_id.in_(ids), Campaign.deleted_at.is_(None))
            .order_by(Campaign.id)
        )
        for number_id, campaign_id, name in rows:
            campaigns[number_id].append(NumberCampaign(id=campaign_id, name=name))
    return [
        NumberOut.model_validate(
            {
                **{name: getattr(n, name) for name in NumberOut.model_fields if hasattr(n, name)},
                "campaigns": campaigns[n.id],
            }
        )
        for n in numbers
    ]


def _status(number: WhatsAppNumber) -> NumberStatusOut:
    return NumberStatusOut(
        id=number.id,
        status=number.status,
        connection_status=number.connection_status,
        last_connected_at=number.last_connected_at,
        last_error=number.last_error,
        health=Health(
            is_healthy=number.is_healthy,
            response_time_ms=number.last_response_time_ms,
            last_check_at=number.last_check_at,
        ),
    )


def _surface_base(request: Request) -> str:
    """`/crm/v1` on the shared host, `/v1` when the crm surface has a host of its own."""
    prefix: str = request.app.state.surface.prefix
    return str(request.scope.get("root_path", "")) + prefix


@router.get("", response_model=NumberList, summary="List numbers (§4.1)")
async def list_(
    session: SessionDep,
    principal: Reader,
    status: Annotated[NumberStatus | None, Query()] = None,
    provider: Annotated[Provider | None, Query()] = None,
) -> NumberList:
    numbers = await service.list_numbers(session, status=status, provider=provider)
    return NumberList(data=await _outs(session, numbers))


@router.post("", status_code=201, response_model=NumberCreated, summary="Register a number (§4.2, §4.3)")
async def create(
    body: NumberCreate, request: Request, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> NumberCreated:
    settings = runtime.settings
    number = await service.create_number(
        session, values=body.model_dump(exclude_unset=True), settings=settings, actor=principal
    )
    webhook = service.webhook_url(settings, number, surface_base=_surface_base(request))
    outcome = await service.connect(session, number, settings=settings, webhook=webhook)
    qr = outcome.qr_code.data_url if outcome.qr_code else None
    message = "Escanea el código QR con WhatsApp" if qr else None
    if outcome.error:
        message = "Saved, but the provider could not be reached: see last_error, then POST /reconnect."
    return NumberCreated(
        id=number.id,
        phone_number=number.phone_number,
        provider=number.provider,
        status=number.status,
        connection_status=number.connection_status,
        webhook_url=webhook,
        qr_code=qr,
        wppconnect_qr_code=qr if number.provider == "wppconnect" else None,
        message=message,
        last_error=number.last_error,
        created_at=number.created_at,
    )


@router.get("/{number_id}", response_model=NumberOut, summary="Get a number")
async def get(number_id: NumberId, session: SessionDep, principal: Reader) -> NumberOut:
    (out,) = await _outs(session, [await service.get_number(session, number_id)])
    return out


@router.get("/{number_id}/status", response_model=NumberStatusOut, summary="Number status and health (§4.4)")
async def status_(
    number_id: NumberId, session: SessionDep, runtime: RuntimeDep, principal: Reader
) -> NumberStatusOut:
    await service.get_number(session, number_id)  # 404 before any provider call
    assert principal.tenant_id is not None
    async with runtime.database.transaction(tenant_id=principal.tenant_id) as writer:
        number = await service.get_number(writer, number_id)
        await service.check_health(number, settings=runtime.settings)
    return _status(number)


@router.get("/{number_id}/qr", response_model=QrOut, summary="Pairing QR code (§4.5)")
async def qr(number_id: NumberId, session: SessionDep, runtime: RuntimeDep, principal: Manager) -> QrOut:
    number = await service.get_number(session, number_id)
    code = await service.fetch_qr(number, settings=runtime.settings)
    if code is None:
        return QrOut(qr_code=None, expires_at=None, connection_status="connected")
    return QrOut(qr_code=code.data_url, expires_at=utcnow() + QR_LIFETIME, connection_status="qr_pending")


@router.post("/{number_id}/disconnect", response_model=NumberStatusOut, summary="Disconnect (§4.6)")
async def disconnect(
    number_id: NumberId, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> NumberStatusOut:
    number = await service.get_number(session, number_id)
    await service.disconnect(session, number, settings=runtime.settings, actor=principal)
    return _status(number)


@router.post("/{number_id}/reconnect", response_model=NumberCreated, summary="Reconnect (§4.7)")
async def reconnect(
    number_id: NumberId, request: Request, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> NumberCreated:
    number = await service.get_number(session, number_id)
    webhook = service.webhook_url(runtime.settings, number, surface_base=_surface_base(request))
    outcome = await service.connect(session, number, settings=runtime.settings, webhook=webhook)
    qr_url = outcome.qr_code.data_url if outcome.qr_code else None
    return NumberCreated(
        id=number.id,
        phone_number=number.phone_number,
        provider=number.provider,
        status=number.status,
        connection_status=number.connection_status,
        webhook_url=webhook,
        qr_code=qr_url,
        wppconnect_qr_code=qr_url if number.provider == "wppconnect" else None,
        message="Escanea el código QR con WhatsApp" if qr_url else None,
        last_error=number.last_error,
        created_at=number.created_at,
    )


@router.put("/{number_id}", response_model=NumberOut, summary="Update a number (§4.8)")
async def update(
    number_id: NumberId, body: NumberUpdate, session: SessionDep, runtime: RuntimeDep, principal: Manager
) -> NumberOut:
    number = await service.update_number(
        session,
        number_id=number_id,
        values=body.model_dump(exclude_unset=True),
        settings=runtime.settings,
        actor=principal,
    )
    (out,) = await _outs(session, [number])
    return out


@router.delete("/{number_id}", status_code=204, summary="Delete a number (§4.9)")
async def delete(number_id: NumberId, session: SessionDep, principal: Manager) -> Response:
    await service.delete_number(session, number_id=number_id, actor=principal)
    return Response(status_code=204)
