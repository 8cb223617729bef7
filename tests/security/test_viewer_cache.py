"""The session and viewer caches (auth/sessions.py, auth/viewer.py) never outlive a revocation.

A process reuses a session it read for a couple of seconds, and the account, roles and active
profile it resolved for a few. Signing out, and every change made through the API (a profile
switched, its maturity, a lock, a deleted profile, an erased account), apply at the very next
request, in this process and in every other: each is published on the revocation feed in the
same round trip as the change, and every process drops what it kept. What no request
announces (a role granted from the CLI, an edit straight in Redis or the database) applies
once the window ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import uuid4

import redis
from typer.testing import CliRunner

from auth.sessions import RecentSessions, Session
from server.cli import app as cli
from tests.helpers.api import Api

ME = "{ me { roles activeProfile { id maturityLevel locked } } }"


def test_a_signed_out_token_is_refused_at_the_next_request(api: Api) -> None:
    api.viewer_with_profile("ada@example.com")
    token = api.token
    assert api.data(ME)["me"] is not None  # the viewer is cached now
    assert api.data("mutation { logout }") == {"logout": True}
    api.forget_session()
    api.token = token
    assert api.data(ME) == {"me": None}


def test_a_lowered_maturity_applies_at_the_next_request(api: Api) -> None:
    profile_id = api.viewer_with_profile("ada@example.com", maturityLevel=5)
    assert api.data(ME)["me"]["activeProfile"]["maturityLevel"] == 5
    api.data(
        "mutation($id: ID!) { updateProfile(id: $id, input: {maturityLevel: 1}) { id } }",
        id=profile_id,
    )
    assert api.data(ME)["me"]["activeProfile"]["maturityLevel"] == 1


def test_a_lock_and_a_deleted_profile_apply_at_the_next_request(api: Api) -> None:
    profile_id = api.viewer_with_profile("ada@example.com")
    assert api.data(ME)["me"]["activeProfile"]["locked"] is False
    api.data('mutation($id: ID!) { setProfileLock(id: $id, pin: "4821") { id } }', id=profile_id)
    assert api.data(ME)["me"]["activeProfile"]["locked"] is True
    api.data("mutation($id: ID!) { deleteProfile(id: $id) }", id=profile_id)
    assert api.data(ME)["me"]["activeProfile"] is None


def test_a_change_no_request_announces_applies_once_the_window_ends(
    make_api: Callable[..., Api], clean_database: str
) -> None:
    window = 0.5
    api = make_api(viewer_cache_seconds=window)
    api.register("ada@example.com")
    staff_only = "{ experiments { key } }"  # @auth reads the (cached) viewer's roles
    assert api.error_code(staff_only) == "FORBIDDEN"
    granted = CliRunner().invoke(
        cli,
        ["users", "grant", "ada@example.com", "admin"],
        env={"FLIX_DATABASE_URL": clean_database},
    )
    assert granted.exit_code == 0, granted.output
    time.sleep(window)
    assert api.data(staff_only) == {"experiments": []}


def _recent(api: Api) -> RecentSessions:
    recent: RecentSessions = api.client.app.state.contexts.recent  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while not recent.live and time.monotonic() < deadline:  # the feed subscribes at startup
        time.sleep(0.01)
    assert recent.live
    return recent


def _elsewhere(make_api: Callable[..., Api], api: Api) -> Api:
    """Another process's API (its own caches and feed), on the same session."""
    other = make_api()
    other.token = api.token
    return other


def test_a_session_is_read_once_per_window(api: Api) -> None:
    api.viewer_with_profile("ada@example.com")
    recent = _recent(api)
    assert api.data(ME)["me"] is not None
    assert api.token is not None
    cached = recent.cached(api.token)
    assert cached is not None and cached.profile_id is not None


def test_a_sign_out_elsewhere_applies_at_the_next_request(
    make_api: Callable[..., Api], api: Api
) -> None:
    api.viewer_with_profile("ada@example.com")
    other = _elsewhere(make_api, api)
    _recent(other)
    assert other.data(ME)["me"] is not None  # kept there now
    assert api.data("mutation { logout }") == {"logout": True}
    assert other.data(ME) == {"me": None}


def test_a_profile_switched_elsewhere_applies_at_the_next_request(
    make_api: Callable[..., Api], api: Api
) -> None:
    first = api.viewer_with_profile("ada@example.com", name="First")
    second = api.create_profile("Second")
    other = _elsewhere(make_api, api)
    _recent(other)
    assert other.data(ME)["me"]["activeProfile"]["id"] == first
    api.select_profile(second)
    assert other.data(ME)["me"]["activeProfile"]["id"] == second


def test_a_revocation_no_one_announced_applies_once_the_window_ends(
    make_api: Callable[..., Api], clean_redis: str
) -> None:
    window = 0.5
    api = make_api(session_cache_seconds=window)
    api.viewer_with_profile("ada@example.com")
    _recent(api)
    assert api.data(ME)["me"] is not None
    with redis.Redis.from_url(clean_redis) as direct:  # as an operator would, no feed
        assert direct.delete(f"session:{api.token}") == 1
    time.sleep(window)
    assert api.data(ME) == {"me": None}


def _session(token: str = "t" * 22) -> Session:
    return Session(token, uuid4(), None)


def test_nothing_is_reused_while_the_feed_is_down_nor_what_was_read_before_it_came_back() -> None:
    recent = RecentSessions(cache_seconds=60)
    session = _session()
    recent.remember(session)
    assert recent.cached(session.token) is None  # never live yet
    recent.feed_live(True)
    assert recent.cached(session.token) is None  # read before the feed came up
    recent.remember(session)
    assert recent.cached(session.token) == session
    recent.feed_live(False)
    assert recent.cached(session.token) is None
    assert recent.recall(session.token) == session  # still trusted through a Redis outage


def test_a_read_in_flight_during_a_revocation_is_not_kept() -> None:
    recent = RecentSessions(cache_seconds=60)
    recent.feed_live(True)
    session = _session()
    began = recent.generation
    recent.revoked(f"account:{session.account_id}")  # heard while the read was under way
    recent.remember(session, began)
    assert recent.cached(session.token) is None
    recent.remember(session, recent.generation)
    assert recent.cached(session.token) == session
    recent.revoked(f"token:{session.token}")
    assert recent.cached(session.token) is None
