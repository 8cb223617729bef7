"""Query cost: every document is priced before it runs; one over the limit is refused with
QUERY_TOO_COMPLEX and no SQL, every answer says its cost, and the cost is charged to a
per-minute budget that answers RATE_LIMITED (429) once spent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLSchema, get_introspection_query, parse

from schema.assembly import build_schema
from schema.cost import document_cost
from tests.helpers.api import Api
from tests.helpers.stores import forget_rate_limits

# Issue 13's document: within the depth and alias limits, it took 14 s and 3.3 MB.
STALLING = "{ videos(first:100){ edges{ node{ similar(first:50){ similar(first:50){ id } } } } } }"
VIDEOS = "query($n: Int) { videos(first: $n) { edges { node { id title } } totalCount } }"


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def _cost(schema: GraphQLSchema, document: str, **variables: Any) -> int:
    return document_cost(schema, parse(document), None, variables)


@pytest.fixture
def viewer(api: Api, catalog: dict[str, int]) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    return api


def test_the_stalling_document_is_refused_before_any_sql(
    api: Api, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    before = count_statements()
    api.data("{ __typename }")
    own = count_statements() - before  # what building the request's context takes
    before = count_statements()
    body = api.gql(STALLING)
    assert count_statements() - before <= own  # nothing of the document ran
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["maxCost"] == 5000
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]
    assert body["extensions"]["cost"] == error["extensions"]["cost"]


def test_signed_out_the_stalling_document_runs_no_sql_at_all(
    api: Api, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    before = count_statements()
    assert api.error_code(STALLING) == "QUERY_TOO_COMPLEX"  # priced before the auth check
    assert count_statements() == before


def test_every_answer_carries_its_cost(viewer: Api) -> None:
    ok = viewer.gql(VIDEOS, n=5)
    assert "errors" not in ok and ok["extensions"]["cost"] > 0
    mutation = viewer.gql("mutation { logout }")
    assert mutation["extensions"]["cost"] == 0  # a Boolean: no object built
    # Refused before pricing (a parse error, an unknown field): it cost nothing.
    assert viewer.gql("{ videos(")["extensions"] == {"cost": 0}
    assert viewer.gql("{ nope }")["extensions"] == {"cost": 0}


def test_a_document_is_priced_by_the_variables_that_size_its_lists(viewer: Api) -> None:
    # Priced once per size and remembered: the same text answers each size's own price.
    costs = [viewer.gql(VIDEOS, n=n)["extensions"]["cost"] for n in (5, 50, 5, 50)]
    assert costs[0] < costs[1] and costs == costs[:2] * 2
    assert costs[0] == _cost(build_schema()._schema, VIDEOS, n=5)


def test_bad_variables_priced_at_nothing_do_not_make_the_document_free(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    api = make_api(max_query_cost=20)
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    sized = (
        "query($n: Int, $q: String!) { videos(first: $n) { edges { node { id } } }"
        " s: search(query: $q, first: 1) { totalCount } }"
    )
    assert api.error_code(sized, n=50) == "BAD_USER_INPUT"  # $q missing: cannot run, costs 0
    assert api.error_code(sized, n=50, q="toy") == "QUERY_TOO_COMPLEX"


def test_the_limit_is_a_setting(make_api: Callable[..., Api], catalog: dict[str, int]) -> None:
    api = make_api(max_query_cost=20)
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    assert "errors" not in api.gql(VIDEOS, n=1)
    error = api.gql(VIDEOS, n=50)["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["maxCost"] == 20


def test_the_budget_per_minute_is_charged_and_then_refuses(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    api = make_api(rate_limit_scale=1, query_cost_per_minute=100)
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    forget_rate_limits()
    spent = 0
    while True:
        response = api.post({"query": VIDEOS, "variables": {"n": 10}})
        if response.status_code != 200:
            break
        spent += response.json()["extensions"]["cost"]
        assert "RateLimit-Policy" in response.headers
        assert '"query-cost";q=100;w=60' in response.headers["RateLimit-Policy"]
        assert f'"query-cost";r={100 - spent};' in response.headers["RateLimit"]
    assert response.status_code == 429
    assert 0 < spent <= 100
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 60
    assert response.headers["Retry-After"] == str(error["extensions"]["retryAfterSeconds"])


# The model itself.


def test_lists_cost_their_size_times_their_items(graphql_schema: GraphQLSchema) -> None:
    one, fifty = (_cost(graphql_schema, VIDEOS, n=n) for n in (1, 50))
    per_item = _cost(graphql_schema, VIDEOS, n=2) - one
    assert per_item > 0 and fifty == one + 49 * per_item
    assert _cost(graphql_schema, VIDEOS) == _cost(graphql_schema, VIDEOS, n=20)  # the default
    page = (
        "query($r: Int, $i: Int) { homepage(rows: $r, itemsPerRow: $i) { rows { items { id } } } }"
    )
    small, rows, items = (
        _cost(graphql_schema, page, r=r, i=i) for r, i in ((1, 1), (10, 1), (1, 10))
    )
    assert rows > small and items > small


def test_store_work_costs_more_than_building_objects(graphql_schema: GraphQLSchema) -> None:
    plain = _cost(graphql_schema, "{ video(id: 1) { id title } }")
    similar = _cost(graphql_schema, "{ video(id: 1) { id similar(first: 1) { id } } }")
    assert similar - plain > 1  # one more object, and a nearest-neighbour search


def test_aliases_count_and_repeats_do_not(graphql_schema: GraphQLSchema) -> None:
    page = "videos(first: 5) { edges { node { id } } }"
    once = _cost(graphql_schema, f"{{ {page} }}")
    aliased = f"{{ a: {page} b: {page} }}"
    assert _cost(graphql_schema, aliased) == 2 * once
    repeated = f"{{ {page} {page} }}"
    assert _cost(graphql_schema, repeated) == once  # merged by execution: runs once
    spread = """{ videos(first: 5) { ...E ...E edges { node { id } } } }
        fragment E on VideoConnection { edges { node { id } } }"""
    assert _cost(graphql_schema, spread) == once


def test_introspection_is_cheap_and_the_stalling_document_is_not(
    graphql_schema: GraphQLSchema,
) -> None:
    assert _cost(graphql_schema, get_introspection_query()) < 100  # GraphiQL's, whole
    assert _cost(graphql_schema, STALLING) > 50 * 5000
