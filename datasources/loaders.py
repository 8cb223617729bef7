"""Per-request DataLoaders: each batches the lookups of one request into one statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar
from uuid import UUID

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources import accounts, catalog, profiles
from datasources.records import Account, Episode, Profile, Season, Video

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(Generic[K, V]):
    """A typed aiodataloader: ``fetch`` answers a batch of keys; absent keys get ``missing()``."""

    def __init__(
        self,
        engine: AsyncEngine,
        fetch: Callable[[AsyncEngine, Sequence[K]], Awaitable[Mapping[K, V]]],
        missing: Callable[[], V],
    ) -> None:
        async def batch(keys: list[K]) -> list[V]:
            found = await fetch(engine, list(dict.fromkeys(keys)))
            return [found[key] if key in found else missing() for key in keys]

        self._loader = DataLoader(batch_load_fn=batch)

    async def load(self, key: K) -> V:
        value: V = await self._loader.load(key)
        return value

    def prime(self, key: K, value: V) -> None:
        self._loader.prime(key, value)


def _none() -> None:
    return None


class Loaders:
    """One set per request, so nothing cached outlives the request that read it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.video: Loader[int, Video | None] = Loader(engine, catalog.videos_by_id, _none)
        self.seasons: Loader[int, list[Season]] = Loader(engine, catalog.seasons_by_video, list)
        self.episodes: Loader[int, list[Episode]] = Loader(engine, catalog.episodes_by_season, list)
        self.account: Loader[UUID, Account | None] = Loader(engine, accounts.accounts_by_id, _none)
        self.roles: Loader[UUID, set[str]] = Loader(engine, accounts.roles_by_account, set)
        self.profile: Loader[UUID, Profile | None] = Loader(engine, profiles.profiles_by_id, _none)
        self.profiles: Loader[UUID, list[Profile]] = Loader(
            engine, profiles.profiles_by_account, list
        )
