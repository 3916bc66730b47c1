"""Pure building blocks of the webhook delivery engine.

Nothing here touches the database or the web app, so every rule about signing, retrying, filtering
and refusing unsafe destinations can be tested in isolation and reused by every surface:

- `signing`: Standard Webhooks headers plus the surfaces' own signatures (`X-Reten-Signature`,
  the platform panel's body `signature`).
- `retry`: the delivery schedule, jitter, `Retry-After`, response classification, auto-disable.
- `ssrf`: URL validation and the resolve-then-check guard against internal destinations.
- `filters`: event-name patterns with wildcards for subscriptions.
"""
