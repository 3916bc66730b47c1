"""The scopes machine credentials may carry, per surface, and the parsing of scope strings.

Scopes are permission strings: a principal holding `read:clientes` passes
`Authenticated(permissions={"read:clientes"})`. RFC 6749 §3.3 limits scope tokens to printable ASCII,
so media's `campañas` resource is spelled `campanas` in its scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

from nexo.core.errors import ErrorDetail, ValidationFailed

_MEDIA_READ_WRITE = ("clientes", "ordenes", "campanas", "agencias", "proveedores", "medios", "contratos")
_MEDIA_READ_ONLY = ("reportes", "analytics")
_MEDIA_WRITE_ONLY = ("webhooks",)

MEDIA_SCOPES: tuple[str, ...] = (
    *(f"read:{name}" for name in (*_MEDIA_READ_WRITE, *_MEDIA_READ_ONLY, *_MEDIA_WRITE_ONLY)),
    *(f"write:{name}" for name in (*_MEDIA_READ_WRITE, *_MEDIA_WRITE_ONLY)),
)
TASKS_SCOPES: tuple[str, ...] = ("tasks:read", "tasks:write")

SCOPES_BY_SURFACE: dict[str, frozenset[str]] = {
    "media": frozenset(MEDIA_SCOPES),
    "tasks": frozenset(TASKS_SCOPES),
}


def parse_scope(raw: str | None) -> list[str]:
    """`"read:clientes  write:ordenes"` → sorted distinct tokens (RFC 6749 §3.3: space-delimited)."""
    if not raw:
        return []
    return sorted(set(raw.split()))


def format_scope(scopes: Iterable[str]) -> str:
    return " ".join(sorted(set(scopes)))


def unknown_scopes(surface: str, scopes: Iterable[str]) -> list[str]:
    known = SCOPES_BY_SURFACE.get(surface, frozenset())
    return sorted(set(scopes) - known)


def check_scopes(surface: str, scopes: Iterable[str], *, field: str = "scopes") -> list[str]:
    """Validate scopes chosen by a person (key or client creation); sorted distinct list back."""
    chosen = sorted(set(scopes))
    if not chosen:
        raise ValidationFailed(
            "Choose at least one scope.", details=[ErrorDetail(field, "at least one scope is required")]
        )
    unknown = unknown_scopes(surface, chosen)
    if unknown:
        allowed = ", ".join(sorted(SCOPES_BY_SURFACE.get(surface, frozenset())))
        raise ValidationFailed(
            f"Unknown scope(s): {', '.join(unknown)}. Allowed: {allowed}.",
            details=[ErrorDetail(field, f"unknown scope {name!r}") for name in unknown],
        )
    return chosen
