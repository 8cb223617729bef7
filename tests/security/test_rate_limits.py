"""The seed's rate limits, category by category: counted per account (per IP signed out),
alias by alias; a refused request answers 429 with Retry-After, the IETF RateLimit and
RateLimit-Policy headers and RATE_LIMITED with retryAfterSeconds. With Redis down the
limiter lets browsing through and refuses sign-in, and says so in its logs and metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from auth.rate_policies import SEED_POLICIES, Category, Policy
from schema.assembly import build_schema
from schema.rate_categories import FIELD_CATEGORIES
from server.settings import Settings
from tests.helpers.api import Api
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.stores import REDIS_URL, forget_rate_limits

SCALE = 0.1  # a tenth of the seed's numbers: the same windows, a test that stays short
ME = "{ me { id } }"
PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl } }"
ADD = "mutation($id: ID!) { addToMyList(videoId: $id) { id } }"
REPORT = "mutation($events: [PlaybackEventInput!]!) { reportPlaybackEvents(events: $events) }"
EXPERIMENTS = "{ experiments { id } }"
LOGIN = 'mutation($email: String!) { login(email: $email, password: "wrong guess") { token } }'


def _exhaust(api: Api, query: str, **variables: Any) -> tuple[int, httpx.Response]:
    """Send ``query`` until it is refused: how many were let through, and the refusal."""
    for admitted in range(1000):
        response = api.post({"query": query, "variables": variables})
        if response.status_code == 429:
            return admitted, response
        assert response.status_code == 200, response.text
    raise AssertionError("never limited")


def _assert_refusal(response: httpx.Response, policy: Policy) -> None:
    """429, Retry-After, the policy's windows in RateLimit-Policy, and the spent one at 0."""
    body = response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after = error["extensions"]["retryAfterSeconds"]
    assert response.headers["Retry-After"] == str(retry_after)
    tightest = min(policy.windows, key=lambda w: w.quota)
    assert 0 < retry_after <= tightest.seconds
    declared = response.headers["RateLimit-Policy"]
    for window in policy.windows:
        assert f'"{window.name}";q={window.quota};w={window.seconds}' in declared
    assert f'"{tightest.name}";r=0;t=' in response.headers["RateLimit"]
    assert "extensions" in body and "cost" in body["extensions"]


@pytest.fixture
def limited(make_api: Callable[..., Api], catalog: dict[str, int]) -> Api:
    # Signed up and into a profile under generous limits (at a tenth, choosing a profile
    # right after creating one would be refused), then counted from zero under the tenth.
    setup = make_api()
    setup.viewer_with_profile("ada@example.com", maturityLevel=5)
    forget_rate_limits()
    api = make_api(rate_limit_scale=SCALE)
    api.token = setup.token
    return api


def _policy(category: Category) -> Policy:
    return SEED_POLICIES[category].scaled(SCALE)


# The table.


def test_the_seed_table() -> None:
    table = {c: (p.quota, p.window_seconds, p.burst) for c, p in SEED_POLICIES.items()}
    assert table == {
        Category.BROWSE: (100, 60, 30),
        Category.PLAYBACK_START: (30, 60, 10),
        Category.PROFILE_UPDATES: (20, 60, 10),
        Category.PROGRESS: (60, 60, 15),
        Category.ADMIN: (200, 60, 50),
        Category.AUTH: (5, 300, 5),
    }
    # A burst is a shorter window: the time the sustained rate takes to earn it back.
    browse = SEED_POLICIES[Category.BROWSE].windows
    assert [(w.name, w.quota, w.seconds) for w in browse] == [
        ("browse", 100, 60),
        ("browse-burst", 30, 18),
    ]
    assert len(SEED_POLICIES[Category.AUTH].windows) == 1  # 5 at once: no second window


def test_settings_serve_the_seed_table_unscaled() -> None:
    settings = Settings(database_url="postgresql+asyncpg://x/y", redis_url="redis://x")
    assert settings.rate_policies() == SEED_POLICIES
    assert settings.scaled_query_cost_per_minute == 50_000


def test_every_root_field_has_exactly_one_category() -> None:
    schema = build_schema()._schema
    roots = [schema.query_type, schema.mutation_type]
    fields = {f"{root.name}.{name}" for root in roots if root for name in root.fields}
    assert set(FIELD_CATEGORIES) == fields


# Category by category.


def test_browse(limited: Api) -> None:
    admitted, refusal = _exhaust(limited, ME)
    assert admitted == _policy(Category.BROWSE).burst
    _assert_refusal(refusal, _policy(Category.BROWSE))


def test_playback_start(limited: Api, catalog: dict[str, int]) -> None:
    admitted, refusal = _exhaust(limited, PLAYBACK, id=str(catalog["Babe"]))
    assert admitted == _policy(Category.PLAYBACK_START).burst
    _assert_refusal(refusal, _policy(Category.PLAYBACK_START))


def test_profile_updates(limited: Api, catalog: dict[str, int]) -> None:
    admitted, refusal = _exhaust(limited, ADD, id=str(catalog["Babe"]))
    assert admitted == _policy(Category.PROFILE_UPDATES).burst
    _assert_refusal(refusal, _policy(Category.PROFILE_UPDATES))


def test_progress(limited: Api, catalog: dict[str, int]) -> None:
    event = {"type": "START", "videoId": str(catalog["Babe"]), "at": datetime.now(UTC).isoformat()}
    admitted, refusal = _exhaust(limited, REPORT, events=[event])
    assert admitted == _policy(Category.PROGRESS).burst
    _assert_refusal(refusal, _policy(Category.PROGRESS))


def test_admin(limited: Api) -> None:
    # Counted before the role check: probing staff fields is limited like using them.
    admitted, refusal = _exhaust(limited, EXPERIMENTS)
    assert admitted == _policy(Category.ADMIN).burst
    _assert_refusal(refusal, _policy(Category.ADMIN))


def test_auth_signed_out_counts_per_ip(limited: Api) -> None:
    limited.forget_session()
    for i in range(5):  # a different account each time: the address is what counts
        assert limited.error_code(LOGIN, email=f"user{i}@example.com") == "UNAUTHENTICATED"
    refusal = limited.post({"query": LOGIN, "variables": {"email": "fresh@example.com"}})
    assert refusal.status_code == 429
    _assert_refusal(refusal, Policy("auth", quota=5, window_seconds=300, burst=5))


# How requests are counted.


def test_successful_answers_carry_the_headers_too(limited: Api) -> None:
    response = limited.post({"query": ME})
    assert response.status_code == 200
    policy = _policy(Category.BROWSE)
    assert f'"browse";q={policy.quota};w=60' in response.headers["RateLimit-Policy"]
    assert f'"browse";r={policy.quota - 1};' in response.headers["RateLimit"]
    assert f'"browse-burst";r={policy.burst - 1};' in response.headers["RateLimit"]


def test_each_alias_counts(limited: Api) -> None:
    burst = _policy(Category.BROWSE).burst
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(burst + 1))
    response = limited.post({"query": f"{{ {aliases} }}"})
    assert response.status_code == 200  # partly answered: not a refusal as a whole
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
    assert sum(value is not None for value in body["data"].values()) == burst
    assert limited.post({"query": ME}).status_code == 429


def test_accounts_count_apart(make_api: Callable[..., Api], limited: Api) -> None:
    _exhaust(limited, ME)
    other = make_api(rate_limit_scale=SCALE)  # the same client address, another account
    other.register("bob@example.com")
    assert other.post({"query": ME}).status_code == 200


# With Redis down.


@pytest.fixture
def redis_proxy() -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", urlsplit(REDIS_URL).port or 6379) as proxy:
        yield proxy


def _decisions(policy: str, outcome: str) -> float:
    labels = {"policy": policy, "outcome": outcome}
    return REGISTRY.get_sample_value("flix_rate_limit_decisions_total", labels) or 0.0


def test_redis_down_browsing_fails_open_and_sign_in_closed(
    make_api: Callable[..., Api], catalog: dict[str, int], redis_proxy: FaultProxy
) -> None:
    database = REDIS_URL.rsplit("/", 1)[1]
    api = make_api(redis_url=f"redis://127.0.0.1:{redis_proxy.port}/{database}")
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    api.data(ME)  # the session is now known to this process, which trusts it for a minute
    open_before, closed_before = (
        _decisions("browse", "failed_open"),
        _decisions("auth", "failed_closed"),
    )
    redis_proxy.reset()
    with capture_logs() as logs:
        assert api.data(ME)["me"] is not None  # browsing goes on, unthrottled
        api.forget_session()
        assert api.error_code(LOGIN, email="ada@example.com") == "UNAVAILABLE"
    assert _decisions("browse", "failed_open") > open_before
    assert _decisions("auth", "failed_closed") > closed_before
    warnings = [
        (e["policy"], e["outcome"]) for e in logs if e["event"] == "rate limiter unavailable"
    ]
    assert ("browse", "failed_open") in warnings and ("auth", "failed_closed") in warnings
    sample = 'flix_rate_limit_decisions_total{outcome="failed_closed",policy="auth"}'
    assert sample in api.metrics().text
