"""WhatsApp numbers: registration with a provider, status and health, QR, disconnect, reconnect.

Provider calls go through `nexo.integrations.whatsapp`; their failures never fail the request that
caused them when the number itself could be saved: the failure is recorded (`last_error`, health)
and shown, because a provider being down is a state of the number, not an error of the caller.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.audit import diff_changes, record_audit
from nexo.core.auth.principal import Principal
from nexo.core.db.types import utcnow
from nexo.core.errors import Conflict, ErrorDetail, NexoError, NotFound, ValidationFailed
from nexo.core.settings import Settings
from nexo.crm.campaigns.models import CampaignNumber
from nexo.crm.numbers.models import WhatsAppNumber
from nexo.crm.numbers.secrets import seal, unseal
from nexo.crm.phones import InvalidPhone, to_e164
from nexo.integrations.whatsapp import ConnectResult, ProviderError, ProviderState, QrCode, build_provider

REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # provider: (settings kept in provider_config, secrets kept encrypted)
    "meta": (
        ("meta_phone_number_id", "meta_business_account_id"),
        ("meta_access_token", "webhook_verify_token"),
    ),
    "wppconnect": (("wppconnect_session_name", "wppconnect_server_url"), ("wppconnect_api_key",)),
    "evolution": (("evolution_instance_name", "evolution_server_url"), ("evolution_api_key",)),
}
OPTIONAL_SECRETS = ("meta_app_secret",)
EDITABLE = ("display_name", "daily_message_limit", "rate_limit_per_minute", "status")


class ProviderUnavailable(NexoError):
    """The provider failed an operation that cannot be recorded and carried on from (QR, logout)."""

    status_code = 502
    code = "PROVIDER_ERROR"
    default_message = "The WhatsApp provider did not answer as expected."


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    """What a provider call left: the state, a QR when there is one, or the error it raised."""

    state: ProviderState | None
    qr_code: QrCode | None
    error: str | None


def http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.whatsapp_http_timeout_seconds, follow_redirects=False)


def webhook_url(settings: Settings, number: WhatsAppNumber, *, surface_base: str) -> str:
    base = settings.public_base_url.rstrip("/") + surface_base
    return f"{base}/webhooks/whatsapp/{number.provider}/{number.id}"


def _split(provider: str, values: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    config_names, secret_names = REQUIRED[provider]
    missing = [name for name in (*config_names, *secret_names) if not values.get(name)]
    if missing:
        raise ValidationFailed(
            f"A {provider} number needs: {', '.join(missing)}.",
            details=[ErrorDetail(name, f"required for provider {provider}") for name in missing],
        )
    config = {name: str(values[name]) for name in config_names}
    secrets = {name: str(values[name]) for name in (*secret_names, *OPTIONAL_SECRETS) if values.get(name)}
    return config, secrets


def provider_for(number: WhatsAppNumber, settings: Settings, http: httpx.AsyncClient) -> Any:
    return build_provider(
        number.provider,
        config=number.provider_config,
        secrets=unseal(settings, number.secrets_encrypted),
        http=http,
        meta_graph_url=settings.whatsapp_meta_graph_url,
    )


async def get_number(session: AsyncSession, number_id: int) -> WhatsAppNumber:
    number = await session.scalar(
        select(WhatsAppNumber).where(WhatsAppNumber.id == number_id, WhatsAppNumber.deleted_at.is_(None))
    )
    if number is None:
        raise NotFound("The WhatsApp number does not exist.")
    return number


async def list_numbers(
    session: AsyncSession, *, status: str | None, provider: str | None
) -> list[WhatsAppNumber]:
    query = select(WhatsAppNumber).where(WhatsAppNumber.deleted_at.is_(None)).order_by(WhatsAppNumber.id)
    if status:
        query = query.where(WhatsAppNumber.status == status)
    if provider:
        query = query.where(WhatsAppNumber.provider == provider)
    return list(await session.scalars(query))


async def create_number(
    session: AsyncSession, *, values: Mapping[str, Any], settings: Settings, actor: Principal
) -> WhatsAppNumber:
    provider = str(values["provider"])
    config, secrets = _split(provider, values)
    try:
        phone = to_e164(str(values["phone_number"]), default_region=settings.crm_default_phone_region)
    except InvalidPhone as error:
        raise ValidationFailed(str(error), details=[ErrorDetail("phone_number", str(error))]) from error
    clash = await session.scalar(
        select(WhatsAppNumber.id).where(
            WhatsAppNumber.phone_number == phone, WhatsAppNumber.deleted_at.is_(None)
        )
    )
    if clash is not None:
        raise Conflict("This WhatsApp number is already registered.", code="DUPLICATE_NUMBER")
    number = WhatsAppNumber(
        phone_number=phone,
        display_name=values.get("display_name"),
        provider=provider,
        status="pending",
        provider_config=config,
        secrets_encrypted=seal(settings, secrets),
        daily_message_limit=values.get("daily_message_limit"),
        rate_limit_per_minute=values.get("rate_limit_per_minute"),
    )
    session.add(number)
    await session.flush()
    _audit(session, actor, "whatsapp_number.created", number, {"provider": {"from": None, "to": provider}})
    return number


async def connect(
    session: AsyncSession, number: WhatsAppNumber, *, settings: Settings, webhook: str
) -> ProviderOutcome:
    """Open the number at its provider (session start, instance creation, credential check)."""
    async with http_client(settings) as http:
        try:
            result = await provider_for(number, settings, http).connect(webhook_url=webhook)
        except ProviderError as error:
            _record_failure(number, error.message)
            return ProviderOutcome(state=None, qr_code=None, error=error.message)
    _record_connect(settings, number, result)
    await session.flush()
    return ProviderOutcome(state=result.state, qr_code=result.qr_code, error=None)


def _record_connect(settings: Settings, number: WhatsAppNumber, result: ConnectResult) -> None:
    if result.secrets:
        number.secrets_encrypted = seal(
            settings, {**unseal(settings, number.secrets_encrypted), **result.secrets}
        )
    _record_state(number, result.state)
    number.last_error = None


def _record_state(number: WhatsAppNumber, state: ProviderState) -> None:
    number.connection_status = state.connection_status
    if state.connection_status == "connected":
        number.last_connected_at = utcnow()
        if number.status in ("pending", "error"):
            number.status = "active"


def _record_failure(number: WhatsAppNumber, message: str) -> None:
    number.last_error = message[:1000]
    number.is_healthy = False
    number.last_check_at = utcnow()


async def check_health(number: WhatsAppNumber, *, settings: Settings) -> None:
    """Ask the provider for the number's state; record it, the response time and any error."""
    started = time.perf_counter()
    async with http_client(settings) as http:
        try:
            state = await provider_for(number, settings, http).status()
        except ProviderError as error:
            _record_failure(number, error.message)
            number.last_response_time_ms = round((time.perf_counter() - started) * 1000)
            return
    number.last_response_time_ms = round((time.perf_counter() - started) * 1000)
    number.last_check_at = utcnow()
    number.is_healthy = True
    number.last_error = None
    _record_state(number, state)


async def fetch_qr(number: WhatsAppNumber, *, settings: Settings) -> QrCode | None:
    if number.provider == "meta":
        raise Conflict("Meta Cloud API numbers are not paired with a QR code.", code="QR_NOT_APPLICABLE")
    async with http_client(settings) as http:
        try:
            return await provider_for(number, settings, http).qr_code()  # type: ignore[no-any-return]
        except ProviderError as error:
            raise ProviderUnavailable(error.message) from error


async def disconnect(
    session: AsyncSession, number: WhatsAppNumber, *, settings: Settings, actor: Principal
) -> None:
    async with http_client(settings) as http:
        try:
            await provider_for(number, settings, http).disconnect()
        except ProviderError as error:
            raise ProviderUnavailable(error.message) from error
    before = number.connection_status
    number.connection_status = "disconnected"
    number.status = "inactive"
    _audit(
        session,
        actor,
        "whatsapp_number.disconnected",
        number,
        {"connection_status": {"from": before, "to": "disconnected"}},
    )


async def update_number(
    session: AsyncSession, *, number_id: int, values: Mapping[str, Any], settings: Settings, actor: Principal
) -> WhatsAppNumber:
    number = await get_number(session, number_id)
    before = {name: getattr(number, name) for name in EDITABLE}
    for name in EDITABLE:
        if name in values:
            setattr(number, name, values[name])
    _, secret_names = REQUIRED[number.provider]
    rotated = {name: str(values[name]) for name in (*secret_names, *OPTIONAL_SECRETS) if values.get(name)}
    if rotated:
        number.secrets_encrypted = seal(settings, {**unseal(settings, number.secrets_encrypted), **rotated})
    changes = diff_changes(before, {name: getattr(number, name) for name in EDITABLE})
    changes |= {name: {"from": "***", "to": "***"} for name in rotated}  # that it changed, never the value
    _audit(session, actor, "whatsapp_number.updated", number, changes)
    await session.flush()
    return number


async def delete_number(session: AsyncSession, *, number_id: int, actor: Principal) -> None:
    number = await get_number(session, number_id)
    number.deleted_at = utcnow()
    number.status = "inactive"
    await session.execute(delete(CampaignNumber).where(CampaignNumber.whatsapp_number_id == number.id))
    _audit(session, actor, "whatsapp_number.deleted", number, {"deleted_at": {"from": None, "to": "now"}})


def _audit(
    session: AsyncSession, actor: Principal, action: str, number: WhatsAppNumber, changes: dict[str, Any]
) -> None:
    kind, actor_id = actor.audit_actor()
    record_audit(
        session,
        actor_type=kind,
        actor_id=actor_id,
        action=action,
        entity_type="WhatsAppNumber",
        entity_id=number.id,
        changes=changes,
    )
