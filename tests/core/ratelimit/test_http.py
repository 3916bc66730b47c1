"""Rate limits through the real app: IP rules before routing, principal rules after authentication,
headers on every limited response, the 429 envelope, memory and Redis counters."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from tests.core.ratelimit.probes import (
    REDIS_URL,
    all_probe_routers,
    bearer,
    client_from,
    close_limiters,
    delete_redis_keys,
    overrides,
    redis_available,
    redis_keys,
    unique_prefix,
)

from nexo.app import NexoApplication
from nexo.core.settings import ConfigurationError

MakeApp = Callable[..., NexoApplication]
WRONG_LOGIN = {"email": "nobody@example.com", "password": "not the password"}
RATE_HEADERS = {
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit",
    "ratelimit-policy",
}


@pytest.fixture
def limited_app(make_app: MakeApp) -> Callable[..., NexoApplication]:
    """An app with the probe routes and rate limits on (whatever the test settings say)."""

    def build(**settings: Any) -> NexoApplication:
        return make_app(extra_routers=all_probe_routers(), rate_limits_enabled=True, **settings)

    return build


@pytest.fixture
async def http(limited_app: Callable[..., NexoApplication]) -> AsyncIterator[httpx.AsyncClient]:
    app = limited_app(
        rate_limit_overrides=overrides(
            collections__default="3/minute", collections__sync="2/minute", crm__default="3/minute"
        )
    )
    async with client_from(app) as client:
        yield client


def assert_refused(response: httpx.Response, policy: str) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert f"'{policy}' limit" in error["message"] and "Retry in" in error["message"]
    assert error["requestId"] == response.headers["x-request-id"]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert f'"{policy}";r=0;t=' in response.headers["ratelimit"]


async def test_login_brute_force_is_stopped_by_the_ip_limit(limited_app: MakeApp) -> None:
    app = limited_app()  # the shipped table: collections login 5 per 15 minutes per IP
    async with client_from(app, "198.51.100.7") as attacker, client_from(app, "198.51.100.8") as neighbour:
        attempts = [await attacker.post("/collections/v1/auth/login", json=WRONG_LOGIN) for _ in range(5)]
        assert all(r.status_code != 429 for r in attempts), [r.status_code for r in attempts]
        assert [r.headers["x-ratelimit-remaining"] for r in attempts] == ["4", "3", "2", "1", "0"]
        assert attempts[0].headers["ratelimit-policy"] == '"login";q=5;w=900'
        refused = await attacker.post("/collections/v1/auth/login", json=WRONG_LOGIN)
        assert_refused(refused, "login")
        assert 890 <= int(refused.headers["retry-after"]) <= 900
        # Counted before routing: a malformed body is refused just the same.
        garbage = await attacker.post("/collections/v1/auth/login", content=b"{not json")
        assert garbage.status_code == 429
        # Another address, and the same address on another surface, have quotas of their own.
        assert (await neighbour.post("/collections/v1/auth/login", json=WRONG_LOGIN)).status_code != 429
        crm = await attacker.post("/crm/v1/auth/login", json=WRONG_LOGIN)
        assert crm.status_code != 429 and crm.headers["ratelimit-policy"] == '"login";q=30;w=900'


async def test_reset_header_is_epoch_seconds(limited_app: MakeApp) -> None:
    async with client_from(limited_app()) as client:
        before = time.time()
        response = await client.post("/api/auth/login", json=WRONG_LOGIN)
    # An instant (collections §1.3 shows 1703263200), 15 minutes after this first counted attempt.
    assert before + 900 <= int(response.headers["x-ratelimit-reset"]) <= time.time() + 901
    assert response.headers["ratelimit"] == '"login";r=9;t=900'  # while the IETF field is a delta


async def test_authenticated_routes_are_limited_per_principal(http: httpx.AsyncClient) -> None:
    alice, bob = bearer(id="alice"), bearer(id="bob")
    allowed = [await http.get("/collections/v1/rl-probe/me", headers=alice) for _ in range(3)]
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["2", "1", "0"]
    assert allowed[0].headers["x-ratelimit-limit"] == "3"
    assert allowed[0].headers["ratelimit-policy"] == '"default";q=3;w=60'
    assert_refused(await http.get("/collections/v1/rl-probe/me", headers=alice), "default")
    assert (await http.get("/collections/v1/rl-probe/me", headers=bob)).status_code == 200
    # Surfaces never share a counter, even for the same principal.
    assert (await http.get("/crm/v1/rl-probe/me", headers=alice)).headers["x-ratelimit-remaining"] == "2"


async def test_a_request_counts_once_whatever_its_dependencies(http: httpx.AsyncClient) -> None:
    responses = [await http.get("/crm/v1/rl-probe/twice", headers=bearer(id="frank")) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["2", "1"]


async def test_unlimited_and_unauthenticated_requests_carry_no_headers(http: httpx.AsyncClient) -> None:
    public = await http.get("/collections/v1/rl-probe/open")
    assert public.status_code == 200 and not RATE_HEADERS & set(public.headers)
    for _ in range(4):  # refused credentials are not charged to anyone
        anonymous = await http.get("/collections/v1/rl-probe/me")
        assert anonymous.status_code == 401 and not RATE_HEADERS & set(anonymous.headers)
    assert (await http.get("/collections/v1/rl-probe/me", headers=bearer())).status_code == 200


async def test_sync_is_limited_per_connector(http: httpx.AsyncClient) -> None:
    first, second = bearer(kind="connector", id="c1"), bearer(kind="connector", id="c2")
    assert (await http.post("/collections/v1/sync/rl-probe", headers=first)).status_code == 200
    synced = await http.post("/collections/v1/sync/rl-probe", headers=first)
    assert synced.status_code == 200 and synced.headers["ratelimit-policy"] == '"sync";q=2;w=60'
    assert_refused(await http.post("/collections/v1/sync/rl-probe", headers=first), "sync")
    assert (await http.post("/collections/v1/sync/rl-probe", headers=second)).status_code == 200
    # Sync traffic does not eat into the connector's quota for other routes.
    other = await http.get("/collections/v1/rl-probe/me", headers=first)
    assert other.status_code == 200 and other.headers["x-ratelimit-remaining"] == "2"


async def test_ip_and_principal_quotas_both_show(http: httpx.AsyncClient) -> None:
    response = await http.get("/crm/v1/auth/rl-probe", headers=bearer(id="carol"))
    assert response.status_code == 200
    assert response.headers["ratelimit-policy"] == '"auth";q=60;w=60, "default";q=3;w=60'
    assert response.headers["ratelimit"].startswith('"auth";r=59;t=')
    assert '"default";r=2;t=' in response.headers["ratelimit"]
    assert response.headers["x-ratelimit-limit"] == "3"  # the quota closest to running out


async def test_media_quota_is_per_tenant_and_plan(limited_app: MakeApp) -> None:
    app = limited_app(rate_limit_overrides=overrides(media__standard="2/hour", media__premium="3/hour"))
    async with client_from(app) as http:

        async def call(key: str, tenant: int, plan: str) -> httpx.Response:
            return await http.get("/media/v2/rl-probe/me", headers=bearer("api_key", key, tenant, plan))

        # Two keys of one standard tenant share its quota.
        first = await call("k1", 1, "standard")
        assert first.headers["ratelimit-policy"] == '"standard";q=2;w=3600'
        assert (await call("k2", 1, "standard")).status_code == 200
        assert_refused(await call("k1", 1, "standard"), "standard")
        premium = [await call("k3", 2, "premium") for _ in range(4)]
        assert [r.status_code for r in premium] == [200, 200, 200, 429]
        enterprise = [await call("k4", 3, "enterprise") for _ in range(10)]
        assert {r.status_code for r in enterprise} == {200}
        assert not RATE_HEADERS & set(enterprise[-1].headers)


async def test_host_bound_surface_is_limited_on_its_own_paths(limited_app: MakeApp) -> None:
    app = limited_app(host_collections="cobranza.example")
    async with client_from(app) as http:
        url = "http://cobranza.example/v1/auth/login"
        responses = [await http.post(url, json=WRONG_LOGIN) for _ in range(6)]
    assert [r.headers["x-ratelimit-remaining"] for r in responses[:5]] == ["4", "3", "2", "1", "0"]
    assert_refused(responses[5], "login")


async def test_limits_can_be_turned_off(make_app: MakeApp) -> None:
    app = make_app(extra_routers=all_probe_routers(), rate_limits_enabled=False)
    async with client_from(app) as http:
        responses = [await http.post("/collections/v1/auth/login", json=WRONG_LOGIN) for _ in range(6)]
        me = await http.get("/collections/v1/rl-probe/me", headers=bearer())
    assert all(r.status_code != 429 and not RATE_HEADERS & set(r.headers) for r in responses)
    assert me.status_code == 200 and not RATE_HEADERS & set(me.headers)


async def test_apps_sharing_redis_share_the_count(limited_app: MakeApp) -> None:
    if not await redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = unique_prefix()
    settings = {
        "redis_url": REDIS_URL,
        "rate_limit_key_prefix": prefix,
        "rate_limit_overrides": overrides(collections__default="3/minute"),
    }
    first, second = limited_app(**settings), limited_app(**settings)
    try:
        async with client_from(first) as a, client_from(second) as b:
            statuses = [
                (await client.get("/collections/v1/rl-probe/me", headers=bearer(id="dana"))).status_code
                for client in (a, b, a, b)
            ]
        assert statuses == [200, 200, 200, 429]
        assert await redis_keys(prefix) == [f"{prefix}:LIMITER/collections/default/user:dana/3/1/minute"]
    finally:
        await close_limiters(first)
        await close_limiters(second)
        await delete_redis_keys(prefix)


async def test_an_unreachable_redis_does_not_take_the_api_down(limited_app: MakeApp) -> None:
    app = limited_app(redis_url="redis://127.0.0.1:1/0", rate_limit_key_prefix=unique_prefix())
    try:
        async with client_from(app) as http:
            login = await http.post("/collections/v1/auth/login", json=WRONG_LOGIN)
            me = await http.get("/collections/v1/rl-probe/me", headers=bearer())
        assert login.status_code not in {429, 500} and not RATE_HEADERS & set(login.headers)
        assert me.status_code == 200 and not RATE_HEADERS & set(me.headers)
    finally:
        await close_limiters(app)


def test_a_bad_override_stops_the_app_from_starting(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("unknown quotas ['collections.signin']")):
        make_app(rate_limits_enabled=True, rate_limit_overrides={"collections.signin": "5/minute"})
