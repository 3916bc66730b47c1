"""The order state machine and the closed vocabularies of the other resources.

    pendiente → aprobada → en_ejecucion → completada → facturada
        ↘           ↘            ↘
                      cancelada

An order may be cancelled until its work is done; a completed order can only be invoiced, and an
invoiced or cancelled one is final. Lines and amounts may change only while nothing has been bought
(`pendiente`, `aprobada`), so the figures an invoice was built from never move afterwards.
"""

from __future__ import annotations

from typing import Final

from nexo.core.errors import Conflict, ErrorDetail

PENDIENTE: Final = "pendiente"
APROBADA: Final = "aprobada"
EN_EJECUCION: Final = "en_ejecucion"
COMPLETADA: Final = "completada"
FACTURADA: Final = "facturada"
CANCELADA: Final = "cancelada"

ESTADOS: Final = (PENDIENTE, APROBADA, EN_EJECUCION, COMPLETADA, FACTURADA, CANCELADA)

ALLOWED: Final[dict[str, frozenset[str]]] = {
    PENDIENTE: frozenset({APROBADA, CANCELADA}),
    APROBADA: frozenset({EN_EJECUCION, CANCELADA}),
    EN_EJECUCION: frozenset({COMPLETADA, CANCELADA}),
    COMPLETADA: frozenset({FACTURADA}),
    FACTURADA: frozenset(),
    CANCELADA: frozenset(),
}

EDITABLE: Final = frozenset({PENDIENTE, APROBADA})

# Orders that count as business done or committed: reports leave out pending and cancelled ones.
COMMITTED: Final = (APROBADA, EN_EJECUCION, COMPLETADA, FACTURADA)

TIPOS_MEDIO: Final = ("tv", "radio", "prensa", "digital", "exterior")
STATUS_PARTE: Final = ("activo", "inactivo")  # clientes, agencias, proveedores, medios
STATUS_CAMPANA: Final = ("planeada", "activa", "pausada", "finalizada", "cancelada")
STATUS_CONTRATO: Final = ("borrador", "vigente", "vencido", "cancelado")
TIPOS_CONTRATO: Final = ("cliente", "proveedor")


def check_transition(current: str, target: str) -> None:
    """Refuse a state change the machine does not allow, naming the field and both states."""
    if target == current or target in ALLOWED[current]:
        return
    allowed = ", ".join(sorted(ALLOWED[current])) or "ninguno (estado final)"
    raise Conflict(
        f"La orden no puede pasar de '{current}' a '{target}'.",
        code="INVALID_STATE_TRANSITION",
        details=[
            ErrorDetail("estado", f"de '{current}' solo se puede pasar a: {allowed}; se pidió '{target}'")
        ],
    )


def check_editable(estado: str, field: str) -> None:
    """Refuse changing lines or parties of an order whose space is already being bought."""
    if estado not in EDITABLE:
        raise Conflict(
            f"Una orden en estado '{estado}' ya no admite cambios en '{field}'.",
            code="ORDER_LOCKED",
            details=[ErrorDetail(field, f"solo editable en estado pendiente o aprobada, no '{estado}'")],
        )
