"""Demo credentials for `make run`.

The demo API key is a FIXED, published string, so `make run` can print it on every start although
keys are otherwise shown only once. It exists only in the demo tenant, created by the demo loader;
never load the demo into a database that faces the internet.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexo.core.security.opaque import hash_secret, parse_api_key
from nexo.credentials.models import ApiKey
from nexo.credentials.scopes import MEDIA_SCOPES
from nexo.tenants.models import Tenant

DEMO_API_KEY = "nexo_demo_demo0key_PautaProDemoKey_NotForProduction_0001"
DEMO_API_KEY_NAME = "Demo (make run)"


async def demo_credentials(session: AsyncSession, tenant: Tenant) -> list[tuple[str, str, str]]:
    """Make sure the demo tenant has the demo media API key, live and with every scope; return
    `(label, how to send it, secret)` lines for the demo report."""
    parsed = parse_api_key(DEMO_API_KEY)
    assert parsed is not None
    lookup, full = parsed
    key = await session.scalar(select(ApiKey).where(ApiKey.lookup_prefix == lookup))
    if key is None:
        key = ApiKey(tenant_id=tenant.id, name=DEMO_API_KEY_NAME, lookup_prefix=lookup, key_hash="")
        session.add(key)
    # Reset on every run: a demo key someone revoked or narrowed works again after `make run`.
    key.key_hash = hash_secret(full)
    key.scopes = sorted(MEDIA_SCOPES)
    key.revoked_at = None
    key.expires_at = None
    await session.flush()
    return [("media API key", "Authorization: Bearer", DEMO_API_KEY)]
