"""Persisted queries (Apollo's APQ protocol, server/persisted_queries.py): a hash-only
request runs the stored document or gets PERSISTED_QUERY_NOT_FOUND; a document sent with its
hash is checked and stored; GET answers say who may cache them; allowlist mode runs only
documents registered ahead; off refuses hashes. Every refusal changes nothing stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import redis
from typer.testing import CliRunner

from server.cli import app as cli
from tests.helpers.api import Api
from tests.helpers.stores import REDIS_URL

TYPENAME = "{ __typename }"
ME = "query Me { me { email } }"
STRICT = {"accept": "application/graphql-response+json, application/json;q=0.9"}


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(sha256: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


def post(api: Api, query: str | None, sha256: str, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"extensions": persisted(sha256)}
    if query is not None:
        body["query"] = query
    auth = {"authorization": f"Bearer {api.token}"} if api.token else {}
    return api.client.post("/graphql", json=body, headers={**auth, **headers})


def get(api: Api, sha256: str, **params: str) -> httpx.Response:
    auth = {"authorization": f"Bearer {api.token}"} if api.token else {}
    query = {"extensions": json.dumps(persisted(sha256)), **params}
    return api.client.get("/graphql", params=query, headers=auth)


def code(response: httpx.Response) -> str:
    found: str = response.json()["errors"][0]["extensions"]["code"]
    return found


def stored() -> set[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return {key.decode() for key in client.scan_iter("pq:*")}
    finally:
        client.close()


def test_unknown_hash_is_not_found_then_registering_makes_hash_only_work(api: Api) -> None:
    missing = post(api, None, sha(TYPENAME))
    assert missing.status_code == 200  # application/json clients: a 200, as for any error
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code(missing) == "PERSISTED_QUERY_NOT_FOUND"
    assert post(api, None, sha(TYPENAME), **STRICT).status_code == 404
    assert stored() == set()

    registered = post(api, TYPENAME, sha(TYPENAME))
    assert registered.json()["data"] == {"__typename": "Query"}
    assert stored() == {f"pq:apq:{sha(TYPENAME)}"}
    again = post(api, None, sha(TYPENAME))
    assert again.status_code == 200
    assert again.json()["data"] == {"__typename": "Query"}


def test_hash_that_does_not_match_the_document_is_bad_input(api: Api) -> None:
    response = post(api, TYPENAME, sha(ME))
    assert code(response) == "BAD_USER_INPUT"
    assert post(api, TYPENAME, sha(ME), **STRICT).status_code == 400
    assert stored() == set()


@pytest.mark.parametrize(
    "extensions",
    [
        persisted("0" * 64, version=2),
        {"persistedQuery": {"version": 1, "sha256Hash": "ABC"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "yes"},
    ],
)
def test_malformed_persisted_query_is_bad_input(api: Api, extensions: dict[str, Any]) -> None:
    response = api.client.post("/graphql", json={"extensions": extensions})
    assert code(response) == "BAD_USER_INPUT"
    assert stored() == set()


def test_documents_that_do_not_parse_are_not_stored(api: Api) -> None:
    broken = "{ __typename"
    response = post(api, broken, sha(broken))
    assert response.json()["errors"]  # the view's syntax error
    oversized = "{ " + "__typename " * 3000 + "}"  # past max_tokens
    post(api, oversized, sha(oversized))
    assert stored() == set()


def test_get_with_a_hash_runs_the_stored_document_and_says_who_may_cache_it(api: Api) -> None:
    post(api, TYPENAME, sha(TYPENAME))
    public = get(api, sha(TYPENAME))
    assert public.json()["data"] == {"__typename": "Query"}
    assert public.headers["cache-control"] == "public, max-age=60"
    assert {"cookie", "authorization"} <= {
        v.strip().lower() for v in public.headers["vary"].split(",")
    }

    api.viewer_with_profile("pq-get@example.com")
    post(api, ME, sha(ME))
    private = get(api, sha(ME), operationName="Me")
    assert private.json()["data"] == {"me": {"email": "pq-get@example.com"}}
    assert private.headers["cache-control"] == "private, no-store"


def test_signed_out_answers_with_errors_are_not_cached(api: Api) -> None:
    homepage = "{ homepage { source } }"  # needs a profile: UNAUTHENTICATED signed out
    post(api, homepage, sha(homepage))
    response = get(api, sha(homepage))
    assert response.json()["errors"]
    assert response.headers["cache-control"] == "private, no-store"


def test_mutations_by_hash_run_over_post_and_keep_idempotency_keys(api: Api) -> None:
    api.viewer_with_profile("pq-mutation@example.com")
    create = "mutation($n: String!) { createProfile(input: {name: $n}) { id name } }"
    headers = {"authorization": f"Bearer {api.token}", "idempotency-key": '"pq-1"'}

    def send(body: dict[str, Any]) -> httpx.Response:
        return api.client.post("/graphql", json=body, headers=headers)

    first = send({"query": create, "variables": {"n": "Kid"}, "extensions": persisted(sha(create))})
    replay = send({"variables": {"n": "Kid"}, "extensions": persisted(sha(create))})
    # The idempotency fingerprint sees the document put in: the hash-only retry is a replay.
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.content == first.content
    other = send({"variables": {"n": "Other"}, "extensions": persisted(sha(create))})
    assert other.status_code == 422


def test_off_refuses_hashes_but_runs_documents(make_api: Callable[..., Api]) -> None:
    api = make_api(persisted_queries="off")
    response = post(api, None, sha(TYPENAME))
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
    assert code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert api.data(TYPENAME) == {"__typename": "Query"}
    assert stored() == set()


def test_allowlist_runs_only_registered_documents(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = make_api(persisted_queries="allowlist")
    refused = api.post({"query": TYPENAME})
    assert code(refused) == "PERSISTED_QUERY_NOT_ALLOWED"
    assert api.client.post("/graphql", json={"query": TYPENAME}, headers=STRICT).status_code == 403
    # A client can no longer register: the document with its hash is refused too.
    assert code(post(api, TYPENAME, sha(TYPENAME))) == "PERSISTED_QUERY_NOT_ALLOWED"
    assert code(post(api, None, sha(TYPENAME))) == "PERSISTED_QUERY_NOT_FOUND"
    assert stored() == set()

    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "typename.graphql").write_text(TYPENAME, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["persisted", "register", str(tmp_path / "ops"), "--redis-url", REDIS_URL]
    )
    assert result.exit_code == 0, result.output
    assert sha(TYPENAME) in result.output

    assert api.data(TYPENAME) == {"__typename": "Query"}
    assert post(api, None, sha(TYPENAME)).json()["data"] == {"__typename": "Query"}
    assert code(api.post({"query": ME})) == "PERSISTED_QUERY_NOT_ALLOWED"


def test_documents_clients_registered_do_not_pass_the_allowlist(
    make_api: Callable[..., Api],
) -> None:
    post(make_api(), TYPENAME, sha(TYPENAME))  # registered in apq mode
    allowlisted = make_api(persisted_queries="allowlist")
    assert code(post(allowlisted, None, sha(TYPENAME))) == "PERSISTED_QUERY_NOT_FOUND"


def register(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["persisted", "register", *args, "--redis-url", REDIS_URL])
    return result.exit_code, result.output


def test_register_reads_manifests_and_refuses_wrong_hashes(
    clean_redis: str, tmp_path: Path
) -> None:
    ours = tmp_path / "documents.json"
    ours.write_text(json.dumps({sha(TYPENAME): TYPENAME}), encoding="utf-8")
    apollos = tmp_path / "persisted-query-manifest.json"
    operations = [{"id": sha(ME), "name": "Me", "type": "query", "body": ME}]
    apollos.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        ),
        encoding="utf-8",
    )
    assert register(str(ours), str(apollos))[0] == 0
    assert stored() == {f"pq:allow:{sha(TYPENAME)}", f"pq:allow:{sha(ME)}"}

    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha(TYPENAME): ME}), encoding="utf-8")
    broken = tmp_path / "broken.graphql"
    broken.write_text("{ me {", encoding="utf-8")
    for path in (wrong, broken, tmp_path / "missing.graphql"):
        exit_code, output = register(str(ours), str(path))
        assert exit_code == 1 and "nothing registered" in output
    assert len(stored()) == 2


WEB_MANIFEST = Path(__file__).parents[2] / "player-web" / "dist" / "persisted-documents.json"


def test_the_web_clients_documents_run_on_an_allowlisting_server(
    make_api: Callable[..., Api],
) -> None:
    if not WEB_MANIFEST.is_file():
        pytest.skip("player-web is not built: run scripts/install")
    assert register(str(WEB_MANIFEST))[0] == 0
    api = make_api(persisted_queries="allowlist")
    manifest: dict[str, str] = json.loads(WEB_MANIFEST.read_text(encoding="utf-8"))
    [(me_hash, _)] = [(h, d) for h, d in manifest.items() if "query Me " in d]
    answer = post(api, None, me_hash)  # as player-web/src/api/client.ts sends it
    assert answer.json()["data"] == {"me": None}
