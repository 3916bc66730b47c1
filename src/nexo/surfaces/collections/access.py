"""Who may call what on the collections surface: typed principals per permission (one table here,
not checks scattered through handlers). Permission strings are those seeded by
`nexo.identity.permissions` (users) and `nexo.credentials.permissions` (connectors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nexo.core.auth.dependencies import Authenticated
from nexo.core.auth.principal import Principal
from nexo.credentials import resolvers as _connector_tokens  # noqa: F401 - registers connector tokens

SURFACE = "collections"


def _user(*permissions: str) -> Authenticated:
    return Authenticated(surface=SURFACE, permissions=permissions, kinds={"user"})


CarteraReader = Annotated[Principal, Depends(_user("cartera:read"))]
ClientesReader = Annotated[Principal, Depends(_user("clientes:read"))]
ConectoresReader = Annotated[Principal, Depends(_user("conectores:read"))]
ConectoresWriter = Annotated[Principal, Depends(_user("conectores:write"))]
CobranzaReader = Annotated[Principal, Depends(_user("cobranza:read"))]
CobranzaWriter = Annotated[Principal, Depends(_user("cobranza:write"))]
CobranzaSender = Annotated[Principal, Depends(_user("cobranza:send"))]
SyncConnector = Annotated[
    Principal, Depends(Authenticated(surface=SURFACE, permissions={"sync:write"}, kinds={"connector"}))
]
HeartbeatConnector = Annotated[
    Principal,
    Depends(Authenticated(surface=SURFACE, permissions={"connectors:heartbeat"}, kinds={"connector"})),
]
