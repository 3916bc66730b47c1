"""One object per resource of the API, as `client.clientes`, `client.ordenes`…

`listar(...)` returns a `Paginated`: iterating it walks every page, fetching the next one only when
the previous is used up, so `for cliente in client.clientes.listar():` sees every client without
holding them all in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Generic, TypeVar

from nexo_media.models import (
    Agencia,
    Campana,
    Cliente,
    Contrato,
    Medio,
    Orden,
    PageMeta,
    Proveedor,
    from_wire,
)
from nexo_media.transport import Transport

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100  # the API's largest page: fewest requests for a full walk
DateLike = date | str | None


class Paginated(Generic[T]):
    """Every item of a list endpoint, page after page. Iterate it again to start over."""

    def __init__(self, transport: Transport, path: str, model: type[T], params: dict[str, Any]) -> None:
        self._transport = transport
        self._path = path
        self._model = model
        self._params = params
        self.meta: PageMeta | None = None  # of the last page fetched

    def __iter__(self) -> Iterator[T]:
        page = 1
        while True:
            body = self._transport.request("GET", self._path, params={**self._params, "page": page})
            self.meta = from_wire(PageMeta, body["meta"])
            yield from (from_wire(self._model, row) for row in body["data"])
            if page >= self.meta.total_pages or not body["data"]:
                return
            page += 1

    def first_page(self) -> list[T]:
        body = self._transport.request("GET", self._path, params={**self._params, "page": 1})
        self.meta = from_wire(PageMeta, body["meta"])
        return [from_wire(self._model, row) for row in body["data"]]


class _Resource(Generic[T]):
    path: str
    model: type[T]

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _list(self, path: str, model: type[Any], page_size: int, **filters: Any) -> Paginated[Any]:
        return Paginated(self._transport, path, model, {"limit": page_size, **filters})

    def listar(self, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any) -> Paginated[T]:
        return self._list(self.path, self.model, page_size, **filters)

    def obtener(self, resource_id: int) -> T:
        return from_wire(self.model, self._transport.request("GET", f"{self.path}/{resource_id}")["data"])

    def crear(self, **fields: Any) -> T:
        return from_wire(self.model, self._transport.request("POST", self.path, json=fields)["data"])

    def actualizar(self, resource_id: int, **fields: Any) -> T:
        body = self._transport.request("PUT", f"{self.path}/{resource_id}", json=fields)
        return from_wire(self.model, body["data"])

    def eliminar(self, resource_id: int) -> None:
        self._transport.request("DELETE", f"{self.path}/{resource_id}")


class Clientes(_Resource[Cliente]):
    path, model = "/clientes", Cliente

    def listar(  # type: ignore[override]
        self, *, search: str | None = None, status: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Paginated[Cliente]:
        return self._list(self.path, Cliente, page_size, search=search, status=status)

    def campanas(self, cliente_id: int, *, page_size: int = DEFAULT_PAGE_SIZE) -> Paginated[Campana]:
        return self._list(f"/clientes/{cliente_id}/campanas", Campana, page_size)

    def ordenes(self, cliente_id: int, *, page_size: int = DEFAULT_PAGE_SIZE) -> Paginated[Orden]:
        return self._list(f"/clientes/{cliente_id}/ordenes", Orden, page_size)


class Ordenes(_Resource[Orden]):
    path, model = "/ordenes", Orden

    def listar(  # type: ignore[override]
        self,
        *,
        estado: str | None = None,
        fecha_desde: DateLike = None,
        fecha_hasta: DateLike = None,
        cliente_id: int | None = None,
        campana_id: int | None = None,
        proveedor_id: int | None = None,
        medio_id: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Paginated[Orden]:
        return self._list(
            self.path,
            Orden,
            page_size,
            estado=estado,
            fecha_desde=fecha_desde,
            fecha_hasta=fecha_hasta,
            cliente_id=cliente_id,
            campana_id=campana_id,
            proveedor_id=proveedor_id,
            medio_id=medio_id,
        )

    def cambiar_estado(self, orden_id: int, estado: str, **fields: Any) -> Orden:
        """Move an order along its lifecycle; an illegal change raises `ConflictError`."""
        return self.actualizar(orden_id, estado=estado, **fields)

    def eliminar(self, resource_id: int) -> None:
        raise NotImplementedError("orders are cancelled, not deleted: cambiar_estado(id, 'cancelada')")


class Campanas(_Resource[Campana]):
    path, model = "/campanas", Campana


class Agencias(_Resource[Agencia]):
    path, model = "/agencias", Agencia


class Proveedores(_Resource[Proveedor]):
    path, model = "/proveedores", Proveedor


class Medios(_Resource[Medio]):
    path, model = "/medios", Medio


class Contratos(_Resource[Contrato]):
    path, model = "/contratos", Contrato


class Reportes:
    """Reports as the API returns them (`data`, `totales`, `filtros`); amounts are strings — wrap
    them in `Decimal` to compute. `csv(...)` returns the report as CSV text."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._transport.request("GET", path, params=params)
        return body

    def rentabilidad(self, *, agrupar_por: str = "cliente", **rango: Any) -> dict[str, Any]:
        return self._get("/reportes/rentabilidad", agrupar_por=agrupar_por, **rango)

    def inversion(self, *, agrupar_por: str = "medio", **rango: Any) -> dict[str, Any]:
        return self._get("/reportes/inversion", agrupar_por=agrupar_por, **rango)

    def clientes(self, **rango: Any) -> dict[str, Any]:
        return self._get("/reportes/clientes", **rango)

    def medios(self, **rango: Any) -> dict[str, Any]:
        return self._get("/reportes/medios", **rango)

    def dashboard(self, **rango: Any) -> dict[str, Any]:
        return self._get("/analytics/dashboard", **rango)
