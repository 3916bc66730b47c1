"""The rate-limit tables: which requests of which surface count against which quota, keyed by what.

A surface's table is an ordered list of rules. Each rule matches requests by method and path (a glob
on the path inside the surface app, e.g. `/v1/auth/*`) and says what identifies a caller:

- `ip` — the client address; checked before routing, so unauthenticated routes (login, register,
  token endpoints) are limited before any work is done, malformed requests included;
- `principal` — whoever authenticated (user, API key, OAuth client, connector); checked right after
  authentication;
- `tenant` — the principal's tenant, so every credential of a tenant shares one quota (media's plans).

A request counts against at most one IP rule and one principal rule: the first of each kind that
matches, in table order. That is how the collections spec reads ("/auth/login", then "/auth/*", then
"others").

Every quota can be changed without code through `NEXO_RATE_LIMIT_OVERRIDES`, keyed
`"<surface>.<quota name>"` (`collections.login`, `media.premium`); see docs/rate-limits.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Literal

from limits import RateLimitItem, parse_many

from nexo.core.auth.principal import Principal
from nexo.core.settings import ConfigurationError

KeyKind = Literal["ip", "principal", "tenant"]
Stage = Literal["ip", "principal"]
UNLIMITED = "unlimited"
DEFAULT_PLAN = "standard"  # the tier of a media tenant whose plan is unknown: the smallest one


@dataclass(frozen=True, slots=True)
class Quota:
    """A named allowance. `name` is what clients see in `RateLimit-Policy`; `item` None = unlimited."""

    name: str
    item: RateLimitItem | None


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    key: KeyKind
    quota: Quota
    paths: tuple[str, ...] = ("*",)
    methods: frozenset[str] | None = None  # None: every method
    plans: Mapping[str, Quota] = field(default_factory=dict)  # plan → quota, replaces `quota`

    @property
    def stage(self) -> Stage:
        return "ip" if self.key == "ip" else "principal"

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        normalised = path.rstrip("/") or "/"
        return any(fnmatchcase(normalised, pattern) for pattern in self.paths)

    def quota_for(self, principal: Principal | None) -> Quota:
        """The quota that applies: the principal's plan tier for plan-based rules."""
        if not self.plans:
            return self.quota
        plan = principal.plan if principal is not None else None
        return self.plans.get(plan or DEFAULT_PLAN, self.plans[DEFAULT_PLAN])

    def quotas(self) -> tuple[Quota, ...]:
        return tuple(self.plans.values()) if self.plans else (self.quota,)


@dataclass(frozen=True, slots=True)
class SurfacePolicy:
    surface: str
    rules: tuple[Rule, ...]

    def rule_for(self, stage: Stage, method: str, path: str) -> Rule | None:
        """The first rule of `stage` matching the request, or None when nothing limits it."""
        for rule in self.rules:
            if rule.stage == stage and rule.matches(method, path):
                return rule
        return None


def _quota(name: str, limit: str) -> Quota:
    if limit == UNLIMITED:
        return Quota(name, None)
    items = parse_many(limit)
    if len(items) != 1:  # "5/minute;100/hour" is two quotas; a rule holds one
        raise ValueError(f"expected one limit, got {len(items)}")
    return Quota(name, items[0])


def _rule(name: str, key: KeyKind, limit: str, *paths: str, methods: Iterable[str] | None = None) -> Rule:
    return Rule(
        name=name,
        key=key,
        quota=_quota(name, limit),
        paths=paths or ("*",),
        methods=frozenset(methods) if methods is not None else None,
    )


def _plan_rule(name: str, key: KeyKind, plans: Mapping[str, str]) -> Rule:
    tiers = {plan: _quota(plan, limit) for plan, limit in plans.items()}
    return Rule(name=name, key=key, quota=tiers[DEFAULT_PLAN], plans=tiers)


def default_policies() -> dict[str, SurfacePolicy]:
    """The tables as shipped. Paths are inside each surface app: its prefix (`/v1`, `/v2`) included,
    its mount (`/collections`) not, so they hold on a host bound to the surface too."""
    tables: dict[str, tuple[Rule, ...]] = {
        # specs/collections-api.md §1.3, plus the connector link code, guessable by brute force.
        "collections": (
            _rule("login", "ip", "5/15 minutes", "/v1/auth/login", methods={"POST"}),
            _rule("connector_link", "ip", "10/15 minutes", "/v1/connectors/register", methods={"POST"}),
            _rule("auth", "ip", "20/minute", "/v1/auth/*"),
            _rule("sync", "principal", "60/minute", "/v1/sync/*"),
            _rule("default", "principal", "100/minute"),
        ),
        # specs/media-agency-api.md "Rate Limiting": hourly requests per tenant by plan. People's
        # sign-in (not in the spec) is for a tenant's few administrators: a tight login quota, with
        # the 2FA step counted as a login attempt as on crm.
        "media": (
            _rule("token", "ip", "60/minute", "/oauth/token", methods={"POST"}),
            _rule("login", "ip", "10/15 minutes", "/v2/auth/login", "/v2/auth/2fa/login", methods={"POST"}),
            _rule("auth", "ip", "60/minute", "/v2/auth/*"),
            _plan_rule(
                "plan", "tenant", {"standard": "1000/hour", "premium": "10000/hour", "enterprise": UNLIMITED}
            ),
        ),
        # The CRM's agents often share one office address: a login quota that a morning rush fits.
        # The 2FA step counts as a login attempt, so six-digit codes cannot be guessed faster.
        "crm": (
            _rule("login", "ip", "30/15 minutes", "/v1/auth/login", "/v1/auth/2fa/login", methods={"POST"}),
            _rule("auth", "ip", "60/minute", "/v1/auth/*"),
            _rule("default", "principal", "600/minute"),
        ),
        "tasks": (
            _rule("login", "ip", "10/15 minutes", "/v1/auth/login", "/v1/auth/2fa/login", methods={"POST"}),
            _rule("auth", "ip", "60/minute", "/v1/auth/*", "/v1/oauth/*"),
            _rule("default", "principal", "600/minute"),
        ),
        "platform": (
            _rule("login", "ip", "10/15 minutes", "/auth/login", methods={"POST"}),
            _rule("auth", "ip", "60/minute", "/auth/*"),
            _rule("default", "principal", "600/minute"),
        ),
    }
    return {surface: SurfacePolicy(surface, rules) for surface, rules in tables.items()}


def build_policies(overrides: Mapping[str, str]) -> dict[str, SurfacePolicy]:
    """The default tables with `overrides` ({"collections.login": "10/15 minutes"}) applied.

    Raises ConfigurationError for an unknown quota name or an unreadable limit, at startup rather than
    on the first request."""
    policies = default_policies()
    known = {f"{p.surface}.{q.name}" for p in policies.values() for r in p.rules for q in r.quotas()}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigurationError(
            f"NEXO_RATE_LIMIT_OVERRIDES names unknown quotas {unknown}; known: {sorted(known)}"
        )
    parsed = {name: _parse_override(name, limit) for name, limit in overrides.items()}
    return {
        surface: replace(policy, rules=tuple(_override(rule, surface, parsed) for rule in policy.rules))
        for surface, policy in policies.items()
    }


def _parse_override(name: str, limit: str) -> Quota:
    quota_name = name.split(".", 1)[1]
    text = limit.strip().lower()
    try:
        return _quota(quota_name, text)
    except ValueError:
        raise ConfigurationError(
            f"NEXO_RATE_LIMIT_OVERRIDES[{name!r}] = {limit!r} is not a limit; write e.g. "
            f"'100/minute', '5/15 minutes', '1000 per hour' or '{UNLIMITED}'"
        ) from None


def _override(rule: Rule, surface: str, parsed: Mapping[str, Quota]) -> Rule:
    def pick(quota: Quota) -> Quota:
        return parsed.get(f"{surface}.{quota.name}", quota)

    if rule.plans:
        plans = {plan: pick(quota) for plan, quota in rule.plans.items()}
        return replace(rule, plans=plans, quota=plans[DEFAULT_PLAN])
    return replace(rule, quota=pick(rule.quota))
