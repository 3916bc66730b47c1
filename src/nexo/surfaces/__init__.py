"""The five product APIs. Each is a FastAPI app of its own, built from one `SurfaceSpec` and the
routers its package exports; none holds business rules (those live in the domain packages)."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from nexo.surfaces.base import SurfaceSpec

SURFACES: tuple[SurfaceSpec, ...] = (
    SurfaceSpec(
        name="media",
        title="Nexo Media API (PautaPro v2)",
        mount="/media",
        prefix="/v2",
        validation_status=422,
        description="Media agency orders, campaigns, catalog and profitability (specs/media-agency-api.md).",
    ),
    SurfaceSpec(
        name="crm",
        title="Nexo CRM API (WhatsApp contact center v1)",
        mount="/crm",
        prefix="/v1",
        validation_status=422,
        description="WhatsApp contact-center CRM (specs/whatsapp-crm-api.md).",
    ),
    SurfaceSpec(
        name="collections",
        title="Nexo Collections API (CobranzaCloud v1)",
        mount="/collections",
        prefix="/v1",
        validation_status=400,
        description="Receivables collections fed by on-premise ERP connectors (specs/collections-api.md).",
    ),
    SurfaceSpec(
        name="tasks",
        title="Nexo Tasks API (v1)",
        mount="/tasks",
        prefix="/v1",
        validation_status=422,
        description="Tasks for external systems that poll or receive webhooks (specs/tasks-api.md).",
    ),
    SurfaceSpec(
        name="platform",
        title="Nexo Platform API",
        mount="/api",
        prefix="",
        validation_status=422,
        description="The SaaS owner's panel: tenants, billing, integrations (specs/platform-panel.md).",
    ),
)

SURFACES_BY_NAME = {spec.name: spec for spec in SURFACES}


def routers_for(name: str) -> list[APIRouter]:
    """The routers a surface package exports through its `api.routers()`."""
    module = importlib.import_module(f"nexo.surfaces.{name}.api")
    routers: list[APIRouter] = module.routers()
    return routers
