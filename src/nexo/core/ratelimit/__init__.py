"""Rate limits for every surface: per-route tables (policies), a moving-window counter over memory
or Redis (limiter), the IETF and legacy headers (headers), and the two places they are enforced —
before routing by IP, after authentication by principal (enforce). See docs/rate-limits.md."""

from nexo.core.ratelimit.enforce import RateLimitMiddleware, enforce_principal_limits, install_rate_limits
from nexo.core.ratelimit.limiter import Decision, RateLimiter
from nexo.core.ratelimit.policies import Quota, Rule, SurfacePolicy, build_policies, default_policies

__all__ = [
    "Decision",
    "Quota",
    "RateLimitMiddleware",
    "RateLimiter",
    "Rule",
    "SurfacePolicy",
    "build_policies",
    "default_policies",
    "enforce_principal_limits",
    "install_rate_limits",
]
