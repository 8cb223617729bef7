"""The homepage rendered once (server/homepage_bodies.py): a homepage-only document is
answered from its finished body while its inputs stand, and every input retires it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from datasources.events import Stream
from server import compression
from server.compression import gzipped
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.events import read_events
from tests.helpers.experiments import CREATE, START, experiment_definition, staff
from tests.helpers.progress import ok
from tests.helpers.stores import REDIS_URL

PAGE = "{ homepage(rows: 6, itemsPerRow: 5) { rows { kind items { id title } } } }"


def _outcomes() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value("flix_homepage_bodies_total", {"outcome": outcome})
        or 0.0
        for outcome in ("hit", "miss", "skip", "bypass")
    }


def _served(api: Api) -> tuple[str, str]:
    """The page's body and what answered it (hit or miss)."""
    before = _outcomes()
    body = api.post({"query": PAGE}).text
    after = _outcomes()
    (outcome,) = [name for name in after if after[name] != before[name]]
    return body, outcome


def _viewer(api: Api, catalog: dict[str, int]) -> Api:
    api.viewer_with_profile("ada@example.com", maturityLevel=5)
    ok(api, catalog["Toy Story"], 600, at=0)
    return api


def test_a_second_request_is_served_its_finished_body_with_no_sql(
    api: Api, catalog: dict[str, int], count_statements: Callable[[], int]
) -> None:
    _viewer(api, catalog)
    first, outcome = _served(api)
    assert outcome == "miss"
    before = count_statements()
    again, outcome = _served(api)
    assert (outcome, again) == ("hit", first)
    assert count_statements() == before  # not one statement: the tree was not executed
    assert '"cost":' in again  # extensions.cost, as on every answer


def test_other_documents_and_profiles_are_never_served_a_body(
    make_api: Callable[..., Api], catalog: dict[str, int]
) -> None:
    ada = _viewer(make_api(), catalog)
    _served(ada)
    mixed = "{ homepage(rows: 6, itemsPerRow: 5) { rows { kind } } me { email } }"
    assert "me" in ada.data(mixed)  # not homepage-only: executed as usual
    bob = make_api()
    bob.viewer_with_profile("bob@example.com", maturityLevel=5)
    assert _served(bob)[1] == "miss"  # another profile, another key
    bob.forget_session()
    assert bob.error_code(PAGE) == "UNAUTHENTICATED"


def test_each_page_input_retires_the_body(
    make_api: Callable[..., Api], clean_database: str, catalog: dict[str, int]
) -> None:
    api = _viewer(make_api(), catalog)
    admin = staff(make_api, clean_database, role="content_admin")
    profile_id = api.data("{ me { activeProfile { id } } }")["me"]["activeProfile"]["id"]
    babe = str(catalog["Babe"])
    changes: dict[str, Callable[[], object]] = {
        "progress": lambda: ok(api, catalog["Babe"], 300, at=10),
        "My List": lambda: api.data(
            "mutation($id: ID!) { addToMyList(videoId: $id) { id } }", id=babe
        ),
        "a rating": lambda: api.data(
            "mutation($id: ID!) { rateTitle(videoId: $id, rating: THUMBS_UP) { id } }", id=babe
        ),
        "the maturity": lambda: api.data(
            "mutation($id: ID!) { updateProfile(id: $id, input: {maturityLevel: 4}) { id } }",
            id=profile_id,
        ),
        "the catalogue": lambda: _renamed(admin, api, babe),
    }
    for name, change in changes.items():
        _served(api)
        assert _served(api)[1] == "hit", name
        change()
        assert _served(api)[1] == "miss", f"{name} did not retire the body"


def _renamed(admin: Api, viewer: Api, video_id: str) -> None:
    admin.data(
        'mutation($id: ID!) { updateVideo(id: $id, input: {title: "Babe II"}) { id } }',
        id=video_id,
    )
    # The viewer's app is another one, which would see the edit within a second.
    viewer.client.app.state.stores.catalog.invalidate()  # type: ignore[attr-defined]


def test_an_experiment_started_retires_the_body_and_a_hit_still_logs_the_exposure(
    make_api: Callable[..., Api], clean_database: str, catalog: dict[str, int]
) -> None:
    api = _viewer(make_api(), catalog)
    profile_id = api.data("{ me { activeProfile { id } } }")["me"]["activeProfile"]["id"]
    admin = staff(make_api, clean_database)
    forced = [{"profileId": profile_id, "variant": "charts-first"}]
    definition = experiment_definition("homepage_rows", forcedVariants=forced)
    _served(api)
    assert _served(api)[1] == "hit"
    admin.data(START, id=admin.data(CREATE, input=definition)["createExperiment"]["id"])
    api.client.app.state.stores.experiments.invalidate()  # type: ignore[attr-defined]
    assert _served(api)[1] == "miss"  # a variant is an input of the page
    exposed = [e.payload["variant"] for e in read_events(api, Stream.EXPOSURE)]
    assert exposed == ["charts-first"] and len(_exposures_logged_today()) == 1
    _forget_todays_exposures()  # as if the day had turned since (a day's markers are new)
    api.client.app.state.contexts.logged_exposures.clear()  # type: ignore[attr-defined]
    assert _served(api)[1] == "hit"
    # Logged again (the event itself has a per-day id: the log keeps one per profile and day).
    assert len(_exposures_logged_today()) == 1


def _exposures_logged_today() -> list[bytes]:
    async def keys() -> list[bytes]:
        redis = Redis.from_url(REDIS_URL)
        found = [key async for key in redis.scan_iter("exposure:*")]
        await redis.aclose()
        return found

    return blocking(keys())


def _forget_todays_exposures() -> None:
    async def forget() -> None:
        redis = Redis.from_url(REDIS_URL)
        async for key in redis.scan_iter("exposure:*"):
            await redis.delete(key)
        await redis.aclose()

    blocking(forget())


def test_a_body_is_gzipped_once_as_it_is_kept_and_reads_as_the_plain_answer(
    api: Api, catalog: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    compressions: list[int] = []

    def counted(content: bytes) -> bytes:
        compressions.append(len(content))
        return gzipped(content)

    monkeypatch.setattr(compression, "gzipped", counted)
    _viewer(api, catalog)
    # Big enough to be compressed (1 KB and up, server/compression.py).
    page = {
        "query": "{ homepage(rows: 6, itemsPerRow: 20) { rows { kind title items { id title } } } }"
    }
    headers = {"authorization": f"Bearer {api.token}"}
    before = _outcomes()
    kept, hit, again, plain = [
        api.client.post("/graphql", json=page, headers={**headers, "accept-encoding": encoding})
        for encoding in ("gzip", "gzip", "gzip", "identity")
    ]
    after = _outcomes()
    assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (1, 3)
    assert len(plain.content) >= 1024
    assert "content-encoding" not in plain.headers
    for answer in (kept, hit, again):
        assert answer.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in answer.headers["vary"].lower()
        assert answer.content == plain.content  # as httpx decoded it
        assert int(answer.headers["content-length"]) < len(plain.content) / 2
    assert compressions == [len(plain.content)]  # once, for the miss and every hit
