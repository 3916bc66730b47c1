"""People sign in to media (`/media/v2/auth/login`, …) to manage API keys and OAuth clients.

The routes and shapes are shared with tasks; see `nexo.surfaces.signin`. (`media/auth.py` is the
scope table for machine credentials, not this.)
"""

from __future__ import annotations

from nexo.surfaces.signin import signin_router

router = signin_router("media")
