"""Every model module, imported so that `Base.metadata` knows all tables (Alembic autogenerate)."""

from nexo.core import audit, idempotency
from nexo.core.db.base import Base
from nexo.core.events import OutboxEvent  # noqa: F401
from nexo.core.jobs import models as jobs  # noqa: F401
from nexo.credentials import models as credentials  # noqa: F401
from nexo.crm import models as crm  # noqa: F401
from nexo.identity import models as identity
from nexo.media import models as media  # noqa: F401
from nexo.receivables import models as receivables  # noqa: F401
from nexo.tasks import models as tasks  # noqa: F401
from nexo.tenants import models as tenants
from nexo.webhooks import models as webhooks  # noqa: F401

__all__ = ["Base", "audit", "idempotency", "identity", "tenants"]
