"""The permission catalogue and the default roles every tenant starts with.

Permission strings are the specs' own words: the crm spec writes `resource.action` (`chats.read`,
`users.create`, `whatsapp.numbers.manage`), the collections spec `resource:action` (`cartera:read`),
media and tasks their OAuth scopes (`read:clientes`, `tasks:read`).
Routes name the strings they need (`Authenticated(permissions={"chats.assign"})`); a role is a list of
them. Defaults are listed explicitly rather than as wildcards, so `GET /auth/me` shows a client exactly
what it may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from nexo.credentials.permissions import MANAGE_API_KEYS, MANAGE_OAUTH_CLIENTS
from nexo.credentials.scopes import MEDIA_SCOPES, TASKS_SCOPES

SurfaceFamily = Literal["crm", "collections", "platform", "tasks", "media", "any"]
SURFACE_FAMILIES: Final = ("crm", "collections", "platform", "tasks", "media", "any")

PLATFORM_OWNER: Final = "PLATFORM_OWNER"

# Every permission the crm spec names (§2.3 users.create, §3.2 campaigns.create, §4.2
# whatsapp.numbers.manage, §5.3 chats.assign, §5.4 chats.transfer, §5.5 chats.close, §6.1
# messages.create, §13 backups.*, the role example's chats.update) and the read/write pairs its
# other modules need.
CRM_PERMISSIONS: Final[tuple[str, ...]] = (
    "users.read",
    "users.create",
    "users.update",
    "users.delete",
    "users.status",
    "roles.manage",
    "campaigns.read",
    "campaigns.create",
    "campaigns.update",
    "campaigns.delete",
    "campaigns.assign",
    "whatsapp.numbers.read",
    "whatsapp.numbers.manage",
    "chats.read",
    "chats.update",
    "chats.assign",
    "chats.transfer",
    "chats.close",
    "messages.read",
    "messages.create",
    "clients.read",
    "clients.create",
    "clients.update",
    "clients.delete",
    "clients.import",
    "clients.export",
    "tasks.read",
    "tasks.write",
    "flows.read",
    "flows.manage",
    "reports.read",
    "reports.export",
    "analytics.read",
    "audit.read",
    "audit.export",
    "backups.read",
    "backups.create",
    "backups.restore",
    "backups.delete",
    "files.read",
    "files.create",
    "files.delete",
    "webhooks.manage",
)

_CRM_AGENT: Final = (
    "chats.read",
    "chats.update",
    "chats.close",
    "messages.read",
    "messages.create",
    "clients.read",
    "clients.create",
    "clients.update",
    "tasks.read",
    "tasks.write",
    "campaigns.read",
    "files.read",
    "files.create",
)
_CRM_SUPERVISOR: Final = (
    *_CRM_AGENT,
    "users.read",
    "users.status",
    "campaigns.assign",
    "whatsapp.numbers.read",
    "chats.assign",
    "chats.transfer",
    "clients.import",
    "clients.export",
    "flows.read",
    "reports.read",
    "reports.export",
    "analytics.read",
    "audit.read",
)

# The collections spec names cartera:read, cartera:write and clientes:read (§2.6); the rest follow its
# resources: connectors (§4), sync (§5), collection templates and reminders (§8), users (§9),
# the organization (§3) and webhooks (§10).
COLLECTIONS_PERMISSIONS: Final[tuple[str, ...]] = (
    "cartera:read",
    "cartera:write",
    "clientes:read",
    "clientes:write",
    "cobranza:read",
    "cobranza:write",
    "cobranza:send",
    "conectores:read",
    "conectores:write",
    "usuarios:read",
    "usuarios:invite",
    "usuarios:write",
    "organizacion:read",
    "organizacion:write",
    "organizacion:billing",
    "webhooks:read",
    "webhooks:write",
    "auditoria:read",
)

_COLLECTIONS_COLLECTOR: Final = (
    "cartera:read",
    "clientes:read",
    "cobranza:read",
    "cobranza:send",
    "organizacion:read",
)


# Media and tasks check the same strings machine credentials carry as scopes (`read:clientes`,
# `tasks:write`; nexo.credentials.scopes is their one list), plus the right to manage those
# credentials. Media's API-key and OAuth-client routes both check `api_keys.manage` today; the admin
# also holds `oauth_clients.manage` so a later split of the two rights needs no role edit.
MEDIA_PERMISSIONS: Final[tuple[str, ...]] = (MANAGE_API_KEYS, MANAGE_OAUTH_CLIENTS, *MEDIA_SCOPES)
_MEDIA_VIEWER: Final = tuple(scope for scope in MEDIA_SCOPES if scope.startswith("read:"))
TASKS_PERMISSIONS: Final[tuple[str, ...]] = (MANAGE_OAUTH_CLIENTS, *TASKS_SCOPES)


@dataclass(frozen=True, slots=True)
class RoleTemplate:
    surface: SurfaceFamily
    name: str
    display_name: str
    permissions: tuple[str, ...]


DEFAULT_TENANT_ROLES: Final[tuple[RoleTemplate, ...]] = (
    RoleTemplate("crm", "admin", "Administrador", CRM_PERMISSIONS),
    RoleTemplate("crm", "supervisor", "Supervisor", _CRM_SUPERVISOR),
    RoleTemplate("crm", "agent", "Agente", _CRM_AGENT),
    # The owner alone manages billing, so an admin cannot grant itself (or anyone) ownership.
    RoleTemplate("collections", "owner", "Propietario", COLLECTIONS_PERMISSIONS),
    RoleTemplate(
        "collections",
        "admin",
        "Administrador",
        tuple(p for p in COLLECTIONS_PERMISSIONS if p != "organizacion:billing"),
    ),
    RoleTemplate("collections", "collector", "Cobrador", _COLLECTIONS_COLLECTOR),
    RoleTemplate("media", "admin", "Administrador", MEDIA_PERMISSIONS),
    RoleTemplate("media", "viewer", "Consulta", _MEDIA_VIEWER),
    RoleTemplate("tasks", "admin", "Administrador", TASKS_PERMISSIONS),
    RoleTemplate("tasks", "member", "Miembro", TASKS_SCOPES),
)

PLATFORM_ROLES: Final[tuple[RoleTemplate, ...]] = (
    RoleTemplate("platform", PLATFORM_OWNER, "Platform owner", ("*",)),
)

CATALOGUE_BY_FAMILY: Final[dict[str, tuple[str, ...]]] = {
    "crm": CRM_PERMISSIONS,
    "collections": COLLECTIONS_PERMISSIONS,
    "media": MEDIA_PERMISSIONS,
    "tasks": TASKS_PERMISSIONS,
}
KNOWN_PERMISSIONS: Final = frozenset(p for catalogue in CATALOGUE_BY_FAMILY.values() for p in catalogue)


def role_serves(role_surface: str, surface: str) -> bool:
    """Whether a role of family `role_surface` may sign in to `surface`."""
    return role_surface in (surface, "any")
