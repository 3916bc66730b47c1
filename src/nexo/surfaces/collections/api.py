"""Routers of the collections surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.collections import (
    auth,
    cartera,
    clientes,
    cobranza,
    connector_auth,
    connectors,
    organization,
    sync,
    webhooks,
)


def routers() -> list[APIRouter]:
    return [
        auth.router,
        organization.router,
        connector_auth.router,
        cartera.router,
        clientes.router,
        sync.router,
        connectors.router,
        cobranza.router,
        cobranza.tracking,
        webhooks.router,
    ]
