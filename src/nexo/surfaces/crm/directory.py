"""The crm directory's routers (issue 8): clients, campaigns, WhatsApp numbers, users and agents.

One entry in `api.routers()` for all of them, so adding a module here never touches the shared file.
"""

from __future__ import annotations

from fastapi import APIRouter

from nexo.surfaces.crm import campaigns, clients, numbers


def routers() -> list[APIRouter]:
    return [clients.router, campaigns.router, numbers.router]
