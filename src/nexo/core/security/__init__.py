"""Pure security primitives of the identity layer: passwords, tokens, secrets, TOTP, encryption at rest.

Nothing here touches the database or HTTP, so every rule can be tested in isolation and reused by any
surface; the identity services compose these pieces with storage.
"""
