"""Where limits are enforced: two seams, one counter store, one set of headers.

1. `RateLimitMiddleware` wraps each surface app. Before routing it counts the request against the
   first matching IP rule (login, register, token endpoints), so brute force is stopped before a
   password hash is computed, malformed bodies included. On the way out it writes the headers of
   every decision taken for the request, on successes and errors alike.
2. `enforce_principal_limits`, called by `Authenticated` once the credential is resolved, counts the
   request against the first matching principal or tenant rule.

Decisions travel from (2) to the headers in (1) through the ASGI scope's `state` dict, which
`request.state` reads and writes.
"""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexo.core.auth.principal import Principal
from nexo.core.errors import RateLimited, error_response
from nexo.core.ratelimit.headers import rate_limit_headers, retry_after_seconds
from nexo.core.ratelimit.limiter import Decision, RateLimiter
from nexo.core.ratelimit.policies import Rule
from nexo.core.settings import Settings

DECISIONS = "rate_limit_decisions"  # key in scope["state"]: list[Decision]
PRINCIPAL_COUNTED = "rate_limit_principal_counted"  # key in scope["state"]: bool
IPV6_PREFIX = 64  # one IPv6 customer usually holds a whole /64; counting single addresses is useless


def install_rate_limits(app: FastAPI, *, surface: str, settings: Settings) -> None:
    """Give a surface app its limiter and middleware (nothing when limits are disabled)."""
    if not settings.rate_limits_enabled:
        return
    limiter = RateLimiter.from_settings(settings)
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimitMiddleware, surface=surface, limiter=limiter)


def client_key(scope: Scope) -> str:
    """The caller's address as a counter key (uvicorn's proxy_headers put the real client here)."""
    client = scope.get("client")
    if not client:
        return "ip:unknown"
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return f"ip:{client[0]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/{IPV6_PREFIX}', strict=False)}"
    return f"ip:{address}"


def route_path(scope: Scope) -> str:
    """The path inside the surface app (`/v1/auth/login`), whether it is mounted at `/collections` or
    served at the root of a host of its own."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


def principal_key(rule: Rule, principal: Principal) -> str:
    if rule.key == "tenant" and principal.tenant_id is not None:
        return f"tenant:{principal.tenant_id}"
    return f"{principal.kind}:{principal.id}"


async def count(
    limiter: RateLimiter, surface: str, rule: Rule, caller: str, principal: Principal | None = None
) -> Decision | None:
    """Count one request; None when the quota is unlimited or the store is unreachable."""
    quota = rule.quota_for(principal)
    if quota.item is None:
        return None
    # The surface and rule are part of the key, so quotas never bleed between surfaces or rules.
    return await limiter.hit(quota.item, policy=quota.name, key=(surface, rule.name, caller))


def too_many_message(decision: Decision) -> str:
    return (
        f"Too many requests: the '{decision.policy}' limit is {decision.limit} per "
        f"{decision.window_seconds} seconds. Retry in {retry_after_seconds(decision)} seconds."
    )


def _decisions(state: dict[str, object]) -> list[Decision]:
    found = state.setdefault(DECISIONS, [])
    assert isinstance(found, list)
    return found


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, surface: str, limiter: RateLimiter) -> None:
        self.app = app
        self.surface = surface
        self.limiter = limiter
        self.policy = limiter.policies[surface]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, object] = scope.setdefault("state", {})
        decisions = _decisions(state)
        rule = self.policy.rule_for("ip", scope["method"], route_path(scope))
        if rule is not None:
            decision = await count(self.limiter, self.surface, rule, client_key(scope))
            if decision is not None:
                decisions.append(decision)
                if not decision.allowed:
                    await self._refuse(decision, scope, receive, send)
                    return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and decisions:
                headers = MutableHeaders(scope=message)
                for name, value in rate_limit_headers(decisions).items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, decision: Decision, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            RateLimited.status_code or 429,
            RateLimited.code,
            too_many_message(decision),
            headers=rate_limit_headers([decision]),
        )
        await response(scope, receive, send)


async def enforce_principal_limits(request: Request, principal: Principal, *, surface: str) -> None:
    """Count an authenticated request; raise RateLimited when its quota is spent.

    Called by `Authenticated` after the credential resolved. A request counts once even when a route
    declares several `Authenticated` dependencies."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    state: dict[str, object] = request.scope.setdefault("state", {})
    if limiter is None or state.get(PRINCIPAL_COUNTED) or surface not in limiter.policies:
        return
    state[PRINCIPAL_COUNTED] = True
    rule = limiter.policies[surface].rule_for("principal", request.method, route_path(request.scope))
    if rule is None:
        return
    decision = await count(limiter, surface, rule, principal_key(rule, principal), principal)
    if decision is None:
        return
    decisions = _decisions(state)
    decisions.append(decision)
    if not decision.allowed:
        raise RateLimited(too_many_message(decision), headers=rate_limit_headers(decisions))
