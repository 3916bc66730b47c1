"""Who may call what: one scope per resource and direction, declared here and nowhere else.

API keys and OAuth client tokens carry scopes (`read:clientes write:ordenes`); users signing in to
media carry the same strings as role permissions. Scope tokens are ASCII (RFC 6749 §3.3), so
`campañas` is `campanas` in its scopes. Reports and the dashboard need `read:reportes` and
`read:analytics`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal

SURFACE = "media"


def _scope(permission: str) -> Authenticated:
    return Authenticated(surface=SURFACE, permissions={permission})


ReadClientes = Annotated[Principal, Depends(_scope("read:clientes"))]
WriteClientes = Annotated[Principal, Depends(_scope("write:clientes"))]
ReadOrdenes = Annotated[Principal, Depends(_scope("read:ordenes"))]
WriteOrdenes = Annotated[Principal, Depends(_scope("write:ordenes"))]
ReadCampanas = Annotated[Principal, Depends(_scope("read:campanas"))]
WriteCampanas = Annotated[Principal, Depends(_scope("write:campanas"))]
ReadAgencias = Annotated[Principal, Depends(_scope("read:agencias"))]
WriteAgencias = Annotated[Principal, Depends(_scope("write:agencias"))]
ReadProveedores = Annotated[Principal, Depends(_scope("read:proveedores"))]
WriteProveedores = Annotated[Principal, Depends(_scope("write:proveedores"))]
ReadMedios = Annotated[Principal, Depends(_scope("read:medios"))]
WriteMedios = Annotated[Principal, Depends(_scope("write:medios"))]
ReadContratos = Annotated[Principal, Depends(_scope("read:contratos"))]
WriteContratos = Annotated[Principal, Depends(_scope("write:contratos"))]
ReadReportes = Annotated[Principal, Depends(_scope("read:reportes"))]
ReadAnalytics = Annotated[Principal, Depends(_scope("read:analytics"))]

# Sub-resources read two resources: the client, and its campaigns or orders. One dependency checks
# both, so the credential is resolved (and counted against the quota) once per request.
ReadClienteCampanas = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={"read:clientes", "read:campanas"}))
]
ReadClienteOrdenes = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={"read:clientes", "read:ordenes"}))
]
