"""The viewer cache (auth/viewer.py) never outlives a revocation.

A process reuses the account, roles and active profile it read for a session for a few
seconds. Signing out, and every change made through the API (a profile's maturity, a lock, a
deleted profile), apply at the very next request: the session is read from Redis on every
request, with its account's identity version. What no request announces (a role granted from
the CLI, an edit straight in the database) applies once the window ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from typer.testing import CliRunner

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
