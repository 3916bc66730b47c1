"""Routers of the platform surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.platform import auth, webhooks


def routers() -> list[APIRouter]:
    return [auth.router, webhooks.router]
