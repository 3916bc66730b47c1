"""Permissions a user needs to manage machine credentials, and those machine principals receive."""

from __future__ import annotations

from nexo.core.auth.principal import Principal
from nexo.core.errors import Forbidden

MANAGE_API_KEYS = "api_keys.manage"  # media: create, list and revoke API keys and OAuth clients
MANAGE_OAUTH_CLIENTS = "oauth_clients.manage"  # tasks: register OAuth clients
MANAGE_CONNECTORS = "conectores:write"  # collections (identity catalogue): connector link codes

# What a connector's token lets it do; the sync and heartbeat routes demand these.
CONNECTOR_PERMISSIONS = frozenset({"sync:write", "connectors:heartbeat"})


def require_tenant(principal: Principal) -> int:
    """The principal's tenant. Credentials always belong to one tenant, so platform owners (who
    stand above tenants) must act through a tenant's own user to manage them."""
    if principal.tenant_id is None:
        raise Forbidden("Credentials belong to a tenant; sign in as a user of that tenant.")
    return principal.tenant_id
