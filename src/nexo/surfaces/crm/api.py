"""Routers of the crm surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.crm import auth, directory, tasks, users


def routers() -> list[APIRouter]:
    return [auth.router, auth.me_router, users.router, tasks.router, *directory.routers()]
