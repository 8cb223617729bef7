"""Every audited action lands on the AUDIT stream, with personal data only where it may be."""

from __future__ import annotations

import base64
from typing import Any

from typer.testing import CliRunner

from datasources.events import Event, Stream
from lifecycle.audit import PERSONAL_FIELDS, AuditAction
from server.cli import app as cli
from tests.helpers.api import Api
from tests.helpers.events import read_events, read_events_now
from tests.helpers.experiments import CREATE, START, STOP, experiment_definition
from tests.helpers.stores import KAFKA_BOOTSTRAP, NATS_URL

CREATE_VIDEO = 'mutation { createVideo(input: {title: "New", type: MOVIE, rating: "PG"}) { id } }'
UPDATE_VIDEO = 'mutation($id: ID!) { updateVideo(id: $id, input: {title: "Renamed"}) { id } }'
DELETE_VIDEO = "mutation($id: ID!) { deleteVideo(id: $id) }"
LOCK = "mutation($id: ID!, $pin: String!) { setProfileLock(id: $id, pin: $pin) { id } }"
UNLOCK = "mutation($id: ID!, $pw: String!) { removeProfileLock(id: $id, password: $pw) { id } }"
LOGIN = "mutation($email: String!, $pw: String!) { login(email: $email, password: $pw) { token } }"


def _audited(api: Api) -> list[dict[str, Any]]:
    events: list[Event] = read_events(api, Stream.AUDIT)
    return [event.payload for event in events]


def _grant(api: Api, database_url: str, email: str, role: str) -> None:
    """`flix users grant` with the app's own event log, as an operator's shell would have."""
    log = api.client.app.state.stores.events  # type: ignore[attr-defined]
    env = {
        "FLIX_DATABASE_URL": database_url,
        "FLIX_NATS_URL": NATS_URL,
        "FLIX_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP,
        "FLIX_EVENT_LOG": log.broker,
        "FLIX_EVENTS_PREFIX": log.prefix,
    }
    result = CliRunner().invoke(cli, ["users", "grant", email, role], env=env)
    assert result.exit_code == 0, result.output


def test_sign_ins_and_failed_sign_ins_are_audited(api: Api) -> None:
    api.register("viewer@example.com")
    assert api.gql(LOGIN, email="viewer@example.com", pw="wrong password!")["errors"]
    api.data(LOGIN, email="viewer@example.com", pw="correct horse battery")
    actions = [record["action"] for record in _audited(api)]
    assert actions == ["signed-in", "sign-in-failed", "signed-in"]
    records = _audited(api)
    assert {record["account_id"] for record in records} == {records[0]["account_id"]}
    assert all(record["ip"] == "testclient" for record in records)


def test_staff_actions_are_audited_with_their_actor(
    api: Api, catalog: dict[str, int], clean_database: str
) -> None:
    api.register("staff@example.com")
    _grant(api, clean_database, "staff@example.com", "content_admin")
    _grant(api, clean_database, "staff@example.com", "experiment_admin")
    video = api.data(CREATE_VIDEO)["createVideo"]["id"]
    api.data(UPDATE_VIDEO, id=video)
    api.data(DELETE_VIDEO, id=video)
    experiment = api.data(CREATE, input=experiment_definition("audited"))["createExperiment"]
    api.data(START, id=experiment["id"])
    api.data(STOP, id=experiment["id"])

    records = _audited(api)
    staff = records[0]["account_id"]  # the sign-up's own record
    by_action = {record["action"]: record for record in records}
    assert [record["action"] for record in records] == [
        AuditAction.SIGNED_IN,
        AuditAction.ROLE_GRANTED,
        AuditAction.ROLE_GRANTED,
        AuditAction.VIDEO_CREATED,
        AuditAction.VIDEO_UPDATED,
        AuditAction.VIDEO_DELETED,
        AuditAction.EXPERIMENT_CREATED,
        AuditAction.EXPERIMENT_STARTED,
        AuditAction.EXPERIMENT_STOPPED,
    ]
    assert by_action["role-granted"]["account_id"] == staff
    assert {r["target"] for r in records if r["action"] == "role-granted"} == {
        "role:content_admin",
        "role:experiment_admin",
    }
    for action in ("video-created", "video-updated", "video-deleted"):
        assert by_action[action]["actor_account_id"] == staff
        assert by_action[action]["target"] == f"video:{_numeric(video)}"
    assert by_action["video-updated"]["details"] == {"fields": "title"}
    assert by_action["experiment-stopped"]["target"] == "experiment:audited"
    assert by_action["experiment-stopped"]["details"] == {"status": "STOPPED", "phase": 1}


def test_profile_lock_changes_are_audited(api: Api) -> None:
    profile = api.viewer_with_profile("family@example.com", name="Parent")
    api.data(LOCK, id=profile, pin="4821")
    api.data(UNLOCK, id=profile, pw="correct horse battery")
    records = [r for r in _audited(api) if r["action"].startswith("profile-")]
    assert [r["action"] for r in records] == ["profile-locked", "profile-unlocked"]
    assert all(r["profile_id"] and r["account_id"] == r["actor_account_id"] for r in records)


def test_personal_data_sits_only_in_the_personal_fields(
    api: Api, catalog: dict[str, int], clean_database: str
) -> None:
    profile = api.viewer_with_profile("private@example.com", name="Me")
    api.data(LOCK, id=profile, pin="4821")
    for record in _audited(api):
        rest = {key: value for key, value in record.items() if key not in PERSONAL_FIELDS}
        assert "private@example.com" not in repr(rest)
        assert profile not in repr(rest) and "testclient" not in repr(rest)
    # As the broker (and so the archive) holds them: every personal field sealed.
    account = _audited(api)[0]["account_id"]
    for event in read_events_now(api, Stream.AUDIT, sealed=True):
        assert not {profile, account, "testclient"} & {str(v) for v in event.payload.values()}


def _numeric(global_id: str) -> str:
    """The database id inside a GraphQL id (bare, or Relay's base64 "Video:12")."""
    if global_id.isdigit():
        return global_id
    return base64.b64decode(global_id).decode().rsplit(":", 1)[1]
