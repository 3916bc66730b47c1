"""Routers of the tasks surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.tasks import auth, signin, tasks, webhooks


def routers() -> list[APIRouter]:
    return [auth.router, signin.router, tasks.router, webhooks.router]
