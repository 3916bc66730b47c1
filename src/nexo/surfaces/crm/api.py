"""Routers of the crm surface. Each domain issue adds its routers here."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    return []
