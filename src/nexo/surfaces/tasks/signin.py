"""People sign in to tasks (`/tasks/v1/auth/login`, …) to register and approve OAuth clients.

The routes and shapes are shared with media; see `nexo.surfaces.signin`. They sit beside the OAuth
routes of `tasks/auth.py` (`/auth/register`, `/auth/authorize`, `/auth/token`) under the same prefix.
"""

from __future__ import annotations

from nexo.surfaces.signin import signin_router

router = signin_router("tasks")
