"""Per-request DataLoaders: each batches the lookups of one request into one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from functools import partial
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
    """One set per request, so nothing cached outlives the request that read it."""

    def __init__(self, engine: AsyncEngine, viewing: ViewingStore) -> None:
        self.video: Loader[int, Video | None] = Loader(partial(catalog.videos_by_id, engine), _none)
        self.seasons: Loader[int, list[Season]] = Loader(
            partial(catalog.seasons_by_video, engine), list
        )
        self.episodes: Loader[int, list[Episode]] = Loader(
            partial(catalog.episodes_by_season, engine), list
        )
        self.episode: Loader[int, Episode | None] = Loader(
            partial(catalog.episodes_by_id, engine), _none
        )
        self.season: Loader[int, Season | None] = Loader(
            partial(catalog.seasons_by_id, engine), _none
        )
        # A series' episodes in viewing order (empty for a movie): recording and Up Next.
        self.episode_slots: Loader[int, list[EpisodeSlot]] = Loader(
            partial(catalog.episode_slots, engine), list
        )
        self.account: Loader[UUID, Account | None] = Loader(
            partial(identity.accounts_by_id, engine), _none
        )
        self.roles: Loader[UUID, set[str]] = Loader(partial(identity.roles_by_account, engine), set)
        self.profile: Loader[UUID, Profile | None] = Loader(
            partial(profiles.profiles_by_id, engine), _none
        )
        self.profiles: Loader[UUID, list[Profile]] = Loader(
            partial(profiles.profiles_by_account, engine), list
        )
        self.progress: Loader[ProgressKey, Progress | None] = Loader(
            partial(_progress, viewing), _none
        )
        self.title_state: Loader[TitleKey, TitleState | None] = Loader(
            partial(_titles, viewing), _none
        )
        self.in_my_list: Loader[TitleKey, bool] = Loader(partial(signals.listed, engine), bool)
        self.rating: Loader[TitleKey, int] = Loader(partial(signals.ratings_of, engine), int)
