"""Provider secrets at rest: one JSON object per number, encrypted with a key of its own purpose."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache

from nexo.core.security.secretbox import SecretBox, derive_fernet_key
from nexo.core.settings import Settings

PURPOSE = "crm.whatsapp-provider-secrets"


@lru_cache(maxsize=8)
def _box(master: str) -> SecretBox:
    return SecretBox([derive_fernet_key(master.encode("utf-8"), PURPOSE)])


def seal(settings: Settings, secrets: Mapping[str, str]) -> str:
    return _box(settings.resolved_encryption_key()).encrypt(json.dumps(dict(secrets), sort_keys=True))


def unseal(settings: Settings, ciphertext: str) -> dict[str, str]:
    values = json.loads(_box(settings.resolved_encryption_key()).decrypt(ciphertext))
    return {str(key): str(value) for key, value in values.items()}
