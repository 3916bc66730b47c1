"""Routers of the media surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.media import (
    api_keys,
    campanas,
    catalogo,
    clientes,
    oauth,
    ordenes,
    partes,
    reportes,
    signin,
    webhooks,
)


def routers() -> list[APIRouter]:
    return [
        clientes.router,
        ordenes.router,
        *campanas.routers,
        partes.agencias,
        partes.proveedores,
        catalogo.medios,
        catalogo.contratos,
        reportes.router,
        reportes.analytics,
        oauth.token_router,
        oauth.clients_router,
        api_keys.router,
        signin.router,
        webhooks.router,
    ]
