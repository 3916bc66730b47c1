"""Every crm table, imported in one place for `nexo.models` (Alembic autogenerate)."""

from nexo.crm.agents import models as agents
from nexo.crm.campaigns import models as campaigns
from nexo.crm.clients import models as clients
from nexo.crm.numbers import models as numbers

__all__ = ["agents", "campaigns", "clients", "numbers"]
