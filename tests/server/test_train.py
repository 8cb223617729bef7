"""`flix train`: learns from the signals, switches the served model, and the homepage uses it."""

from __future__ import annotations

from typer.testing import CliRunner

from server.cli import app as cli
from tests.helpers.api import Api
from tests.helpers.progress import ok
from tests.helpers.viewing_stores import CLI_ENV

LIST = "mutation($id: ID!) { addToMyList(videoId: $id) { id } }"


def test_training_switches_the_model_and_the_homepage_uses_it(
    api: Api, catalog: dict[str, int], clean_database: str
) -> None:
    env = {"FLIX_DATABASE_URL": clean_database, **CLI_ENV}
    empty = CliRunner().invoke(cli, ["train"], env=env)
    assert empty.exit_code == 0 and "nothing to learn" in empty.output
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    for at, title in enumerate(["Toy Story", "Babe", "Twelve Monkeys"]):
        ok(api, catalog[title], 5990, at=at)
    api.data(LIST, id=str(catalog["Crash"]))
    trained = CliRunner().invoke(cli, ["train"], env=env)
    assert trained.exit_code == 0, trained.output
    assert "serving" in trained.output
    page = api.data("{ homepage(rows: 20, itemsPerRow: 10) { source rows { kind } } }")
    assert page["homepage"]["source"] == "PERSONALIZED"
    assert "BECAUSE_YOU_WATCHED" in {row["kind"] for row in page["homepage"]["rows"]}
