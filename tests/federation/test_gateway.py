"""Through Hive Gateway: the same answers as the merged schema, the same rules everywhere."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from server.cli import app as cli
from server.gateway_process import gateway_server
from server.processes import HOST, free_port
from tests.federation.conftest import Federation
from tests.helpers.api import Api
from tests.helpers.experiments import CREATE, START, TREATMENT_ORDER, experiment_definition

VIDEO = """query($id: ID!) { video(id: $id) {
  id title rating maturityLevel posterUrl genres
  seasons { title episodes { title progress { percentComplete } } }
  progress { percentComplete completed episode { title } }
  upNext { title } inMyList myRating similar(first: 3) { title }
} }"""
SEARCH = '{ search(query: "toy stroy") { totalCount edges { node { title } } } }'
# Not its `source`: the second asker of a page reads it from the cache.
HOMEPAGE = """query($items: Int) { homepage(rows: 6, itemsPerRow: $items) { rows {
  kind title items { id title maturityLevel inMyList progress { completed } } } } }"""
ME = """{ me { email plan roles activeProfile { name isKids maturityLevel }
  profiles { name } assignments { experimentKey variant } } }"""
CONTINUE = "{ continueWatching { video { title } episode { title } percentComplete } }"
PLAYBACK = "query($id: ID!) { playback(videoId: $id) { dashUrl } }"
PROGRESS = """mutation($input: ProgressInput!) { updateProgress(input: $input) {
  percentComplete episode { title } } }"""
LOGIN = (
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { account { email } } }"
)


def _answer(api: Api, query: str, **variables: Any) -> dict[str, Any]:
    """What clients read: data and errors (their code and path). Extensions beside them,
    such as the merged schema's query cost, are the serving process's own."""
    body = api.gql(query, **variables)
    errors = [
        {"code": e.get("extensions", {}).get("code"), "path": e.get("path")}
        for e in body.get("errors") or []
    ]
    return {"data": body.get("data"), "errors": errors}


def _same(federation: Federation, gateway: Api, query: str, **variables: Any) -> dict[str, Any]:
    through = _answer(gateway, query, **variables)
    merged = _answer(federation.same_viewer(gateway, federation.merged), query, **variables)
    assert through == merged
    return through


def _progress(video_id: int, episode: str | None = None, at: float = 600) -> dict[str, Any]:
    return {
        "videoId": str(video_id),
        "episodeId": episode,
        "positionSeconds": at,
        "durationSeconds": 1200,
        "clientTimestamp": "2026-01-01T12:00:00Z",
        "deviceId": "tv-1",
    }


def test_a_session_answers_the_same_through_the_gateway(
    federation: Federation, clean_database: str, catalog: dict[str, int]
) -> None:
    viewer = federation.through_gateway()
    viewer.register("ada@example.com")
    adult = viewer.create_profile("Ada", maturityLevel=5)
    kids = viewer.create_profile("Kid", isKids=True)
    viewer.select_profile(adult)
    _same(federation, viewer, ME)

    # Sign-in through the gateway sets the identity subgraph's HttpOnly cookie on the client.
    browser = federation.through_gateway()
    response = browser.post(
        {"query": LOGIN, "variables": {"e": "ada@example.com", "p": viewer.password}}
    )
    assert response.json()["data"]["login"]["account"]["email"] == "ada@example.com"
    assert re.search(r"flix_session=.+HttpOnly", response.headers["set-cookie"], re.I)
    assert browser.data("{ me { email } }")["me"]["email"] == "ada@example.com"

    assert _same(federation, viewer, SEARCH)["data"]["search"]["totalCount"] >= 1
    _same(federation, viewer, HOMEPAGE, items=4)
    series = catalog["Harbour Nights"]
    _same(federation, viewer, PLAYBACK, id=str(catalog["Toy Story"]))  # no media: same error
    first = _same(federation, viewer, VIDEO, id=str(series))["data"]["video"]
    episode = viewer.data("query($id: ID!) { video(id: $id) { upNext { id } } }", id=str(series))[
        "video"
    ]["upNext"]["id"]
    viewer.data(PROGRESS, input=_progress(series, episode))
    viewer.data(PROGRESS, input=_progress(catalog["Toy Story"]))
    watched = _same(federation, viewer, VIDEO, id=str(series))["data"]["video"]
    assert watched["progress"] and not first["progress"]
    assert len(_same(federation, viewer, CONTINUE)["data"]["continueWatching"]) == 2

    # The kids profile: mature titles are gone from every path, the same way.
    viewer.select_profile(kids)
    assert _same(federation, viewer, VIDEO, id=str(catalog["Crash"]))["data"]["video"] is None
    _same(federation, viewer, '{ search(query: "crash") { totalCount } }')
    _same(federation, viewer, HOMEPAGE, items=4)
    _same(federation, viewer, CONTINUE)


def test_an_experiments_treatment_reaches_the_gateways_clients(
    federation: Federation, clean_database: str, catalog: dict[str, int]
) -> None:
    viewer = federation.through_gateway()
    profile = viewer.viewer_with_profile("treated@example.com", maturityLevel=5)
    admin = federation.through_gateway()
    admin.register("lab@example.com")
    granted = CliRunner().invoke(
        cli,
        ["users", "grant", "lab@example.com", "experiment_admin"],
        env={"FLIX_DATABASE_URL": clean_database},
    )
    assert granted.exit_code == 0, granted.output
    forced = [{"profileId": profile, "variant": "charts-first"}]
    definition = experiment_definition("homepage_rows", forcedVariants=forced)
    experiment = admin.data(CREATE, input=definition)["createExperiment"]["id"]
    admin.data(START, id=experiment)
    federation.live.app.state.stores.experiments.invalidate()  # don't wait for the re-read
    rows = _same(federation, viewer, HOMEPAGE, items=2)["data"]["homepage"]["rows"]
    assert [row["kind"] for row in rows[:2]] == TREATMENT_ORDER
    assert _same(federation, viewer, ME)["data"]["me"]["assignments"] == [
        {"experimentKey": "homepage_rows", "variant": "charts-first"}
    ]


def test_a_query_spanning_four_subgraphs_is_planned_and_answered(
    federation: Federation, catalog: dict[str, int]
) -> None:
    viewer = federation.through_gateway()
    viewer.viewer_with_profile("span@example.com", maturityLevel=5)
    query = """query($id: ID!) {
      me { email assignments { variant } }
      video(id: $id) { title progress { completed } inMyList similar(first: 2) { title } }
    }"""  # identity, experiments, catalog, viewing, personalization
    answer = _same(federation, viewer, query, id=str(catalog["Toy Story"]))
    assert answer["data"]["video"]["title"] == "Toy Story" and not answer["errors"]


def test_the_homepage_costs_the_same_statements_whatever_its_size(
    federation: Federation, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    viewer = federation.through_gateway()
    viewer.viewer_with_profile("count@example.com", maturityLevel=5)
    viewer.data(HOMEPAGE, items=1)  # the first request warms what every later one shares
    costs = []
    for items in (1, 8):
        viewer.data(  # retire the cached page, so each one is computed
            "mutation($id: ID!) { rateTitle(videoId: $id, rating: NONE) { id } }",
            id=str(catalog["Toy Story"]),
        )
        # The running experiments are re-read every few seconds by whichever request asks
        # first (the homepage's @experiment does): let this one, not the page, pay for it.
        viewer.data("{ me { assignments { variant } } }")
        before = count_statements()
        viewer.data(HOMEPAGE, items=items)
        costs.append(count_statements() - before)
    assert costs[0] == costs[1], costs


ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Video { id title } } }"""


def test_entities_apply_maturity_like_any_entry_point(
    federation: Federation, catalog: dict[str, int]
) -> None:
    viewer = federation.through_gateway()
    viewer.viewer_with_profile("kid@example.com", isKids=True)
    wanted = [
        {"__typename": "Video", "id": str(catalog["Crash"])},  # NC-17
        {"__typename": "Video", "id": str(catalog["Toy Story"])},  # G
    ]
    catalog_subgraph = federation.same_viewer(viewer, lambda: federation.subgraph("catalog"))
    found = catalog_subgraph.data(ENTITIES, representations=wanted)["_entities"]
    assert found == [None, {"id": str(catalog["Toy Story"]), "title": "Toy Story"}]
    # Every subgraph that resolves the entity applies the same rule.
    viewing = federation.same_viewer(viewer, lambda: federation.subgraph("viewing"))
    assert viewing.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Video { id } } }",
        r=wanted,
    )["_entities"] == [None, {"id": str(catalog["Toy Story"])}]
    # A subgraph reached directly still wants a viewer, like the merged schema.
    anonymous = federation.subgraph("catalog")
    assert anonymous.error_code(ENTITIES, representations=wanted) == "UNAUTHENTICATED"
    assert federation.subgraph("catalog").error_code(
        '{ search(query: "toy") { totalCount } }'
    ) == federation.merged().error_code('{ search(query: "toy") { totalCount } }')


def test_a_batch_of_representations_costs_what_one_does(
    federation: Federation, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    # The owning subgraph resolves references as any entry point does: titles from the
    # in-memory catalog (a title added since, through the request's DataLoader, one batch),
    # so however many titles the gateway asks for, the cost is the same.
    viewer = federation.through_gateway()
    viewer.viewer_with_profile("batch@example.com", maturityLevel=5)
    catalog_subgraph = federation.same_viewer(viewer, lambda: federation.subgraph("catalog"))
    # Resolves the viewer and loads the catalog, which the next requests reuse.
    catalog_subgraph.data(ENTITIES, representations=[{"__typename": "Video", "id": "1"}])
    titles = sorted(catalog.values())
    costs = []
    for ids in (titles[:1], titles[:8]):
        wanted = [{"__typename": "Video", "id": str(video_id)} for video_id in ids]
        before = count_statements()
        found = catalog_subgraph.data(ENTITIES, representations=wanted)["_entities"]
        costs.append(count_statements() - before)
        assert [entity["id"] for entity in found] == [str(video_id) for video_id in ids]
    assert costs[0] == costs[1], costs


def test_one_subgraph_down_leaves_the_other_fields_answered(
    federation: Federation, catalog: dict[str, int], tmp_path: Path
) -> None:
    # A gateway of its own whose personalization subgraph is nowhere.
    supergraph = (Path(__file__).resolve().parents[2] / "supergraph.graphql").read_text()
    nowhere = f"http://{HOST}:{free_port()}/subgraphs/personalization/graphql"
    supergraph = re.sub(r"http://[^\"]+/subgraphs/personalization/graphql", nowhere, supergraph)
    (tmp_path / "supergraph.graphql").write_text(supergraph)
    port = free_port()
    child = gateway_server(
        federation.live.url,
        port,
        tmp_path / "gateway.log",
        env={**os.environ, "FLIX_SUPERGRAPH": str(tmp_path / "supergraph.graphql")},
    )
    child.start()
    try:
        viewer = federation.api_at(f"http://{HOST}:{port}")
        viewer.viewer_with_profile("down@example.com", maturityLevel=5)
        body = viewer.gql(
            "query($id: ID!) { me { email } video(id: $id) { title inMyList } }",
            id=str(catalog["Toy Story"]),
        )
    finally:
        child.stop()
    assert body["data"]["me"] == {"email": "down@example.com"}
    assert body["errors"], body
    assert any("personalization" in str(error) for error in body["errors"]), body["errors"]
