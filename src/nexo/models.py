"""Every model module, imported so that `Base.metadata` knows all tables (Alembic autogenerate)."""

from nexo.core import audit
from nexo.core.db.base import Base
from nexo.tenants import models as tenants

__all__ = ["Base", "audit", "tenants"]
