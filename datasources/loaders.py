"""Per-request DataLoaders: each batches the lookups of one request into one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import cached_property, partial
from typing import Generic, TypeVar
from uuid import UUID

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from core.records import Account, Episode, Profile, Season, Video
from core.viewing_records import EpisodeSlot, Progress, TitleState
from datasources import catalog, identity, profiles
from datasources.personalization import signals
from datasources.viewing.store import ViewingStore

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(Generic[K, V]):
    """A typed aiodataloader: ``fetch`` answers a batch of keys; absent keys get ``missing()``."""

    def __init__(
        self,
        fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]],
        missing: Callable[[], V],
    ) -> None:
        async def batch(keys: list[K]) -> list[V]:
            found = await fetch(list(dict.fromkeys(keys)))
            return [found[key] if key in found else missing() for key in keys]

        self._loader = DataLoader(batch_load_fn=batch)

    async def load(self, key: K) -> V:
        value: V = await self._loader.load(key)
        return value

    async def load_many(self, keys: Sequence[K]) -> list[V]:
        """All in one batch (awaiting ``load`` in a loop would fetch them one by one)."""
        values: list[V] = await self._loader.load_many(list(keys))
        return values


def _none() -> None:
    return None


ProgressKey = tuple[UUID, int, int]  # profile, video, episode (0 for a movie)
TitleKey = tuple[UUID, int]  # profile, video


async def _progress(
    store: ViewingStore, keys: Sequence[ProgressKey]
) -> dict[ProgressKey, Progress]:
    by_profile: dict[UUID, list[tuple[int, int]]] = defaultdict(list)
    for profile_id, video_id, episode_id in keys:
        by_profile[profile_id].append((video_id, episode_id))
    found: dict[ProgressKey, Progress] = {}
    for profile_id, wanted in by_profile.items():  # one profile per request in practice
        for (video_id, episode_id), progress in (await store.progress(profile_id, wanted)).items():
            found[(profile_id, video_id, episode_id)] = progress
    return found


async def _titles(store: ViewingStore, keys: Sequence[TitleKey]) -> dict[TitleKey, TitleState]:
    by_profile: dict[UUID, list[int]] = defaultdict(list)
    for profile_id, video_id in keys:
        by_profile[profile_id].append(video_id)
    found: dict[TitleKey, TitleState] = {}
    for profile_id, video_ids in by_profile.items():
        for video_id, state in (await store.titles(profile_id, video_ids)).items():
            found[(profile_id, video_id)] = state
    return found


class Loaders:
    """One set per request, so nothing cached outlives the request that read it. Each loader
    is made on its first use: a request touches two or three of them."""

    def __init__(
        self, engine: AsyncEngine, viewing: ViewingStore, catalog: AsyncEngine | None = None
    ) -> None:
        self._engine = engine
        self._viewing = viewing
        # Titles, seasons and episodes may come from a catalog replica (a secondary region);
        # accounts, profiles and signals always from the primary, which the viewer writes.
        self._catalog = catalog or engine

    @cached_property
    def video(self) -> Loader[int, Video | None]:
        return Loader(partial(catalog.videos_by_id, self._catalog), _none)

    @cached_property
    def seasons(self) -> Loader[int, list[Season]]:
        return Loader(partial(catalog.seasons_by_video, self._catalog), list)

    @cached_property
    def episodes(self) -> Loader[int, list[Episode]]:
        return Loader(partial(catalog.episodes_by_season, self._catalog), list)

    @cached_property
    def episode(self) -> Loader[int, Episode | None]:
        return Loader(partial(catalog.episodes_by_id, self._catalog), _none)

    @cached_property
    def season(self) -> Loader[int, Season | None]:
        return Loader(partial(catalog.seasons_by_id, self._catalog), _none)

    @cached_property
    def episode_slots(self) -> Loader[int, list[EpisodeSlot]]:
        """A series' episodes in viewing order (empty for a movie): recording and Up Next."""
        return Loader(partial(catalog.episode_slots, self._catalog), list)

    @cached_property
    def account(self) -> Loader[UUID, Account | None]:
        return Loader(partial(identity.accounts_by_id, self._engine), _none)

    @cached_property
    def roles(self) -> Loader[UUID, set[str]]:
        return Loader(partial(identity.roles_by_account, self._engine), set)

    @cached_property
    def profile(self) -> Loader[UUID, Profile | None]:
        return Loader(partial(profiles.profiles_by_id, self._engine), _none)

    @cached_property
    def profiles(self) -> Loader[UUID, list[Profile]]:
        return Loader(partial(profiles.profiles_by_account, self._engine), list)

    @cached_property
    def progress(self) -> Loader[ProgressKey, Progress | None]:
        return Loader(partial(_progress, self._viewing), _none)

    @cached_property
    def title_state(self) -> Loader[TitleKey, TitleState | None]:
        return Loader(partial(_titles, self._viewing), _none)

    @cached_property
    def in_my_list(self) -> Loader[TitleKey, bool]:
        return Loader(partial(signals.listed, self._engine), bool)

    @cached_property
    def rating(self) -> Loader[TitleKey, int]:
        return Loader(partial(signals.ratings_of, self._engine), int)
