"""Training: feedback in, vectors out, and the switch readers rely on.

Viewing goes through the configured viewing store (``FLIX_VIEWING_STORE``: PostgreSQL, or
Cassandra), the rest through PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.viewing_records import MOVIE, ProgressUpdate, TitleState, TitleStateKind
from datasources.personalization import embeddings as repository
from datasources.personalization.embedding_tables import embedding_models, profile_embeddings
from datasources.stores import open_viewing_store
from datasources.tables import accounts, my_list, profiles, ratings, videos
from datasources.viewing.store import ViewingStore
from personalization import training
from personalization.embeddings import AlsParams
from personalization.model_cache import ModelCache
from personalization.training import STAGES, train
from tests.helpers.stores import REDIS_URL, settings_for

T0 = datetime(2026, 5, 1, tzinfo=UTC)
PARAMS = AlsParams(factors=4, regularization=0.1, alpha=5.0, iterations=5, models=2)


@dataclass(frozen=True)
class World:
    engine: AsyncEngine
    viewing: ViewingStore
    fans: list[uuid.UUID]  # profiles with feedback
    silent: uuid.UUID  # a profile that never did anything
    dramas: list[int]
    cartoons: list[int]
    unwatched: int  # a title nobody touched


@pytest.fixture
async def viewing(clean_database: str) -> AsyncIterator[tuple[AsyncEngine, ViewingStore]]:
    """The engine and the viewing store the tests' settings name."""
    engine = create_async_engine(clean_database)
    settings = settings_for(clean_database, REDIS_URL)
    store = await open_viewing_store(
        engine, settings.viewing_store, settings.cassandra_host_list, settings.cassandra_keyspace
    )
    yield engine, store
    await store.close()
    await engine.dispose()


@pytest.fixture
async def world(viewing: tuple[AsyncEngine, ViewingStore]) -> World:
    engine, store = viewing
    async with engine.begin() as connection:
        account = await connection.scalar(
            insert(accounts)
            .values(email="fan@flix.test", password_hash="-", country="US", plan="BASIC")
            .returning(accounts.c.id)
        )
        people = [
            await connection.scalar(
                insert(profiles).values(account_id=account, name=f"P{n}").returning(profiles.c.id)
            )
            for n in range(9)
        ]

        async def title(name: str, genre: str) -> int:
            video_id = await connection.scalar(
                insert(videos)
                .values(title=name, type="MOVIE", rating="PG", maturity_level=2, genres=[genre])
                .returning(videos.c.id)
            )
            assert isinstance(video_id, int)
            return video_id

        dramas = [await title(f"Drama {n}", "Drama") for n in range(5)]
        cartoons = [await title(f"Cartoon {n}", "Animation") for n in range(5)]
        unwatched = await title("Nobody's", "Drama")
        for index, profile in enumerate(people[:8]):
            shelf = dramas if index < 4 else cartoons
            await connection.execute(
                insert(ratings).values(profile_id=profile, video_id=shelf[4], rating=1)
            )
            await connection.execute(
                insert(my_list).values(profile_id=profile, video_id=shelf[(index + 1) % 4])
            )
    # Viewing after the commit: the PostgreSQL store's foreign keys need the rows above.
    for index, profile in enumerate(people[:8]):
        shelf = dramas if index < 4 else cartoons
        for offset, video in enumerate(shelf[:4]):
            at = T0 + timedelta(hours=index * 10 + offset)
            await _watch(store, profile, video, at, completed=offset % 2 == 0)
    return World(engine, store, people[:8], people[8], dramas, cartoons, unwatched)


async def _watch(
    store: ViewingStore,
    profile: uuid.UUID,
    video: int,
    at: datetime,
    *,
    completed: bool,
    episode: int = MOVIE,
    position: float | None = None,
) -> None:
    seconds = position if position is not None else 99.0 if completed else 40.0
    update = ProgressUpdate(profile, video, episode, seconds, 100.0, at, "tv")
    state = TitleStateKind.COMPLETED if completed else TitleStateKind.IN_PROGRESS
    await store.apply(update, TitleState(video, episode, seconds, 100.0, state, at, "tv"))


async def _train(world: World) -> training.TrainReport:
    return await train(world.engine, world.viewing, params=PARAMS)


async def _current(engine: AsyncEngine) -> str | None:
    model = await repository.current_model(engine)
    return None if model is None else model.version


async def test_feedback_is_read_one_row_per_profile_and_title(world: World) -> None:
    rows = {
        (row.profile_id, row.video_id): row
        for row in await repository.read_feedback(world.engine, world.viewing)
    }
    fan = world.fans[0]
    completed, partial = rows[(fan, world.dramas[0])], rows[(fan, world.dramas[1])]
    assert completed.completed and completed.watched == pytest.approx(0.99)
    assert not partial.completed and partial.watched == pytest.approx(0.4)
    assert completed.at == T0
    assert rows[(fan, world.dramas[4])].rating == 1
    listed = rows[(fan, world.dramas[1])]
    assert listed.in_my_list  # watched part of it and put it on the list: one row for both
    assert all(row.profile_id != world.silent for row in rows.values())
    assert len(rows) == 8 * 5


async def test_series_progress_adds_up_episodes(world: World) -> None:
    fan, series = world.fans[0], world.unwatched
    for episode, position in ((1, 100.0), (2, 100.0), (3, 50.0)):
        at = T0 + timedelta(days=episode)
        await _watch(
            world.viewing, fan, series, at, completed=False, episode=episode, position=position
        )
    rows = await repository.read_feedback(world.engine, world.viewing)
    (row,) = [r for r in rows if r.profile_id == fan and r.video_id == series]
    assert row.watched == pytest.approx(2.5)
    assert row.at == T0 + timedelta(days=3)


async def test_training_writes_vectors_and_makes_them_current(world: World) -> None:
    seen: list[tuple[str, float]] = []
    report = await train(
        world.engine,
        world.viewing,
        lambda stage, fraction: seen.append((stage, fraction)),
        params=PARAMS,
    )

    assert report.model_version is not None and report.previous_version is None
    assert (report.profiles, report.titles) == (8, 10)
    model = await repository.current_model(world.engine)
    assert model is not None and model.version == report.model_version
    assert model.dimensions == PARAMS.dimensions and model.activated_at is not None
    assert (model.profiles, model.titles) == (8, 10)
    assert model.params["als"]["factors"] == PARAMS.factors

    vector = await repository.profile_vector(world.engine, world.fans[0])
    assert vector is not None and vector.shape == (PARAMS.dimensions,)
    assert await repository.profile_vector(world.engine, world.silent) is None
    titles = await repository.title_vectors(world.engine)
    assert set(titles) == set(world.dramas) | set(world.cartoons)  # not the unwatched one

    # Every stage reported, in order, each ending at 1.0.
    stages = [stage for stage, _ in seen]
    assert sorted(set(stages), key=stages.index) == list(STAGES)
    for stage in STAGES:
        fractions = [fraction for name, fraction in seen if name == stage]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0


async def test_learnt_vectors_put_a_fan_near_their_shelf(world: World) -> None:
    await _train(world)
    vectors = await repository.ranking_vectors(
        world.engine, world.fans[0], world.dramas + world.cartoons + [world.unwatched]
    )
    assert vectors.profile is not None and world.unwatched not in vectors.titles
    profile = vectors.profile / np.linalg.norm(vectors.profile)
    drama = np.mean([profile @ vectors.titles[v] for v in world.dramas])
    cartoon = np.mean([profile @ vectors.titles[v] for v in world.cartoons])
    assert drama > cartoon


async def test_a_new_model_serves_nothing_until_switched(world: World) -> None:
    first = await _train(world)
    old = await repository.title_vectors(world.engine)

    # A model half written beside the current one: readers keep the current one whole.
    await repository.create_model(
        world.engine, "next", dimensions=PARAMS.dimensions, trained_at=T0, params={}
    )
    fresh = [1.0] + [0.0] * (PARAMS.dimensions - 1)
    await repository.write_title_vectors(world.engine, "next", [(world.dramas[0], fresh)])
    assert await _current(world.engine) == first.model_version
    now_served = await repository.title_vectors(world.engine)
    assert set(now_served) == set(old)
    assert np.array_equal(now_served[world.dramas[0]], old[world.dramas[0]])
    explicit = await repository.title_vectors(world.engine, [world.dramas[0]], version="next")
    assert explicit[world.dramas[0]].tolist() == fresh

    # One switch, and every reader sees the new model, whole.
    assert await repository.activate_model(world.engine, "next") == first.model_version
    assert set(await repository.title_vectors(world.engine)) == {world.dramas[0]}
    assert await repository.profile_vector(world.engine, world.fans[0]) is None
    ranking = await repository.ranking_vectors(world.engine, world.fans[0], world.dramas)
    assert ranking.version == "next" and ranking.profile is None
    assert set(ranking.titles) == {world.dramas[0]}


async def test_switching_to_an_unknown_model_changes_nothing(world: World) -> None:
    first = await _train(world)
    with pytest.raises(repository.UnknownModel):
        await repository.activate_model(world.engine, "never-written")
    assert await _current(world.engine) == first.model_version


async def test_readers_see_one_whole_model_while_training_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _train(world)
    counts = {first.model_version: (8, 10)}
    # Tiny batches, so the new model is written in many steps a reader could fall between.
    monkeypatch.setattr(repository, "WRITE_BATCH", 2)
    monkeypatch.setattr(training, "WRITE_BATCH", 2)
    everything = world.dramas + world.cartoons
    done = asyncio.Event()
    observed: list[tuple[str | None, int, bool]] = []

    async def read_constantly() -> None:
        while not done.is_set():
            vectors = await repository.ranking_vectors(world.engine, world.fans[0], everything)
            observed.append((vectors.version, len(vectors.titles), vectors.profile is not None))
            await asyncio.sleep(0)

    async def retrain() -> training.TrainReport:
        try:
            return await _train(world)
        finally:
            done.set()

    reader = asyncio.create_task(read_constantly())
    second = await retrain()
    await reader
    counts[second.model_version] = (8, 10)
    assert len(observed) > 5
    for version, titles, has_profile in observed:
        assert version in counts  # the old model or the new one, never a half-written one
        assert titles == counts[version][1] and has_profile
    assert {version for version, _, _ in observed} <= {first.model_version, second.model_version}
    # (The reader's last read may have begun before the switch; a read after it must not.)
    after = await repository.ranking_vectors(world.engine, world.fans[0], everything)
    assert after.version == second.model_version


async def test_old_models_are_pruned_but_the_previous_one_is_kept(world: World) -> None:
    first = await _train(world)
    second = await _train(world)
    assert second.previous_version == first.model_version and second.pruned == ()
    third = await _train(world)
    assert third.previous_version == second.model_version
    assert third.pruned == (first.model_version,)
    async with world.engine.connect() as connection:
        versions = set(await connection.scalars(select(embedding_models.c.version)))
        leftovers = await connection.scalar(
            select(func.count())
            .select_from(profile_embeddings)
            .where(profile_embeddings.c.model_version == first.model_version)
        )
    assert versions == {second.model_version, third.model_version}
    assert leftovers == 0  # the vectors went with their model


async def test_a_model_being_written_is_not_pruned_unless_abandoned(world: World) -> None:
    await _train(world)
    for version, age in (("writing", timedelta(minutes=5)), ("abandoned", timedelta(days=3))):
        await repository.create_model(
            world.engine, version, dimensions=4, trained_at=datetime.now(UTC) - age, params={}
        )
    assert await repository.prune_models(world.engine) == ["abandoned"]


async def test_the_current_model_cannot_be_deleted(world: World) -> None:
    first = await _train(world)
    assert first.model_version is not None
    assert not await repository.delete_model(world.engine, first.model_version)
    assert await repository.current_model(world.engine) is not None


async def test_vectors_of_deleted_profiles_and_titles_are_skipped_or_cascade(world: World) -> None:
    await repository.create_model(world.engine, "m", dimensions=2, trained_at=T0, params={})
    gone = uuid.uuid4()
    written = await repository.write_profile_vectors(
        world.engine, "m", [(world.fans[0], [1.0, 0.0]), (gone, [0.0, 1.0])]
    )
    assert written == 1
    assert await repository.write_title_vectors(world.engine, "m", [(10**9, [1.0, 0.0])]) == 0
    async with world.engine.begin() as connection:
        await connection.execute(delete(profiles).where(profiles.c.id == world.fans[0]))
        remaining = await connection.scalar(select(func.count()).select_from(profile_embeddings))
    assert remaining == 0


async def test_no_feedback_trains_nothing_and_keeps_serving(
    viewing: tuple[AsyncEngine, ViewingStore],
) -> None:
    engine, store = viewing
    report = await train(engine, store, params=PARAMS)
    assert report.model_version is None and report.preferences == 0
    assert await repository.current_model(engine) is None


async def test_a_failed_run_leaves_the_current_model_and_no_debris(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _train(world)

    async def broken(*_args: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "write_title_vectors", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await _train(world)
    async with world.engine.connect() as connection:
        versions = list(await connection.scalars(select(embedding_models.c.version)))
    assert versions == [first.model_version]
    assert await _current(world.engine) == first.model_version


async def test_model_cache_reloads_only_after_a_switch(world: World) -> None:
    now = [0.0]
    cache = ModelCache(ttl_seconds=30.0, clock=lambda: now[0])
    assert await cache.current(world.engine) is None  # nothing trained yet

    first = await _train(world)
    assert await cache.current(world.engine) is None  # still within the TTL
    now[0] = 31.0
    served = await cache.current(world.engine)
    assert served is not None and served.version == first.model_version
    assert set(served.titles) == set(world.dramas) | set(world.cartoons)

    second = await _train(world)
    now[0] = 40.0
    assert (await cache.current(world.engine)) is served  # the old model, consistently
    now[0] = 62.0
    reloaded = await cache.current(world.engine)
    assert reloaded is not None and reloaded.version == second.model_version
    # A profile vector read for the served version matches its title vectors.
    vector = await repository.profile_vector(world.engine, world.fans[0], version=reloaded.version)
    assert vector is not None and vector.shape == reloaded.titles[world.dramas[0]].shape
