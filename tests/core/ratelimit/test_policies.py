"""The tables: which rule a request falls under, which quota a principal gets, and overrides."""

from __future__ import annotations

import pytest

from nexo.core.auth.principal import Principal
from nexo.core.ratelimit.enforce import client_key, principal_key, route_path
from nexo.core.ratelimit.policies import build_policies, default_policies
from nexo.core.settings import ConfigurationError
from nexo.surfaces import SURFACES

POLICIES = default_policies()


def rule_name(surface: str, stage: str, method: str, path: str) -> str | None:
    rule = POLICIES[surface].rule_for(stage, method, path)  # type: ignore[arg-type]
    return rule.name if rule else None


@pytest.mark.parametrize(
    ("method", "path", "ip_rule", "principal_rule"),
    [
        ("POST", "/v1/auth/login", "login", "default"),
        ("POST", "/v1/auth/login/", "login", "default"),  # a trailing slash is the same route
        ("GET", "/v1/auth/login", "auth", "default"),  # only POST is a login attempt
        ("POST", "/v1/auth/register", "auth", "default"),
        ("POST", "/v1/auth/oauth/google", "auth", "default"),
        ("POST", "/v1/connectors/register", "connector_link", "default"),
        ("POST", "/v1/connectors/heartbeat", None, "default"),
        ("POST", "/v1/sync/cartera", None, "sync"),
        ("GET", "/v1/cartera/resumen", None, "default"),
        ("GET", "/v1/authors", None, "default"),  # "/auth/*" is a path segment, not a prefix
    ],
)
def test_collections_table_follows_the_spec(
    method: str, path: str, ip_rule: str | None, principal_rule: str | None
) -> None:
    assert rule_name("collections", "ip", method, path) == ip_rule
    assert rule_name("collections", "principal", method, path) == principal_rule


def test_collections_quotas_are_the_spec_numbers() -> None:
    quotas = {rule.name: rule.quota.item for rule in POLICIES["collections"].rules}
    assert {name: (item.amount, item.get_expiry()) for name, item in quotas.items() if item} == {
        "login": (5, 900),
        "connector_link": (10, 900),
        "auth": (20, 60),
        "sync": (60, 60),
        "default": (100, 60),
    }
    keys = {rule.name: rule.key for rule in POLICIES["collections"].rules}
    assert keys == {
        "login": "ip",
        "connector_link": "ip",
        "auth": "ip",
        "sync": "principal",
        "default": "principal",
    }


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        ("standard", ("standard", 1000)),
        ("premium", ("premium", 10000)),
        ("enterprise", ("enterprise", None)),
        (None, ("standard", 1000)),  # unknown plans get the smallest tier, never unlimited
        ("trial", ("standard", 1000)),
    ],
)
def test_media_quota_follows_the_tenant_plan(plan: str | None, expected: tuple[str, int | None]) -> None:
    rule = POLICIES["media"].rule_for("principal", "GET", "/v2/clientes")
    assert rule is not None and rule.key == "tenant"
    quota = rule.quota_for(Principal(kind="api_key", id="k1", tenant_id=7, plan=plan))
    assert (quota.name, quota.item.amount if quota.item else None) == expected
    if quota.item is not None:
        assert quota.item.get_expiry() == 3600


def test_media_token_endpoint_outside_the_prefix_is_ip_limited() -> None:
    assert rule_name("media", "ip", "POST", "/oauth/token") == "token"
    assert rule_name("media", "ip", "POST", "/v2/oauth/clients") is None


def test_crm_two_factor_step_counts_as_a_login() -> None:
    assert rule_name("crm", "ip", "POST", "/v1/auth/2fa/login") == "login"
    assert rule_name("crm", "ip", "POST", "/v1/auth/2fa/enable") == "auth"


def test_every_surface_limits_every_authenticated_route() -> None:
    for spec in SURFACES:
        assert POLICIES[spec.name].rule_for("principal", "DELETE", f"{spec.prefix}/anything/at/all")


def test_table_paths_use_each_surface_prefix() -> None:
    """The tables live in the core and cannot import the surfaces; this keeps their prefixes in step."""
    roots = {"/oauth/*", "/oauth/token"}  # media's token endpoint is served outside /v2 by design
    for spec in SURFACES:
        for rule in POLICIES[spec.name].rules:
            for pattern in rule.paths:
                assert pattern == "*" or pattern in roots or pattern.startswith(f"{spec.prefix}/"), pattern


def test_overrides_replace_quotas_by_name() -> None:
    policies = build_policies(
        {"collections.login": "10 per 15 minutes", "media.premium": "50/hour", "crm.default": "unlimited"}
    )
    login = policies["collections"].rule_for("ip", "POST", "/v1/auth/login")
    assert login is not None and login.quota.item is not None
    assert (login.quota.item.amount, login.quota.item.get_expiry()) == (10, 900)
    media = policies["media"].rule_for("principal", "GET", "/v2/ordenes")
    assert media is not None
    premium = media.quota_for(Principal(kind="user", id="1", tenant_id=1, plan="premium"))
    assert premium.item is not None and premium.item.amount == 50
    standard = media.quota_for(Principal(kind="user", id="1", tenant_id=1, plan="standard"))
    assert standard.item is not None and standard.item.amount == 1000  # untouched
    crm_default = policies["crm"].rule_for("principal", "GET", "/v1/chats")
    assert crm_default is not None and crm_default.quota.item is None


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"collections.logn": "5/minute"}, "unknown quotas ['collections.logn']"),
        ({"media.plan": "5/minute"}, "unknown quotas"),  # plan rules are overridden per tier
        ({"crm.login": "lots"}, "'lots' is not a limit"),
        ({"crm.login": "5/minute;100/hour"}, "is not a limit"),
    ],
)
def test_bad_overrides_fail_at_startup_with_the_setting_named(
    overrides: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match="NEXO_RATE_LIMIT_OVERRIDES") as raised:
        build_policies(overrides)
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (("203.0.113.9", 1), "ip:203.0.113.9"),
        (("2001:db8:1:2:aaaa::1", 1), "ip:2001:db8:1:2::/64"),
        (("2001:db8:1:2:bbbb::7", 1), "ip:2001:db8:1:2::/64"),  # same /64, same counter
        (("::ffff:198.51.100.4", 1), "ip:198.51.100.4"),
        (None, "ip:unknown"),
    ],
)
def test_client_key_groups_ipv6_by_prefix(client: tuple[str, int] | None, expected: str) -> None:
    assert client_key({"type": "http", "client": client}) == expected


def test_principal_key_is_the_tenant_for_tenant_rules() -> None:
    media = POLICIES["media"].rules[-1]
    crm = POLICIES["crm"].rules[-1]
    key = Principal(kind="api_key", id="k9", tenant_id=3)
    assert principal_key(media, key) == "tenant:3"
    assert principal_key(crm, key) == "api_key:k9"
    owner = Principal(kind="user", id="owner", tenant_id=None, platform_role="PLATFORM_OWNER")
    assert principal_key(media, owner) == "user:owner"


def test_route_path_is_the_path_inside_the_surface() -> None:
    mounted = {"path": "/collections/v1/auth/login", "root_path": "/collections"}
    assert route_path(mounted) == "/v1/auth/login"
    assert route_path({"path": "/v1/auth/login", "root_path": ""}) == "/v1/auth/login"
