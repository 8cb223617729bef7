"""The ViewingStore contract both adapters (PostgreSQL, Cassandra) honour.

Writes are conditional: an update lands only if it is newer (``ProgressUpdate.order_key``)
than what is stored, so replays, retries and out-of-order heartbeats are all harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.viewing_records import Applied, Progress, ProgressUpdate, TitleState, WatchFeedback
from datasources.events import Outgoing


class ViewingStore(Protocol):
    # True when ``apply`` writes its event to the outbox in the write's own transaction (the
    # store is the outbox's PostgreSQL); otherwise the caller publishes once it has landed.
    queues_events: bool

    async def apply(
        self, update: ProgressUpdate, title: TitleState, event: Outgoing | None = None
    ) -> Applied:
        """Store the update and the title's new standing where newer; which of them landed.
        With ``queues_events``, ``event`` is queued for the log in the same transaction if
        either did."""
        ...

    async def progress(
        self, profile_id: UUID, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], Progress]:
        """Progress by (video_id, episode_id); absent keys have none."""
        ...

    async def titles(self, profile_id: UUID, video_ids: Sequence[int]) -> dict[int, TitleState]: ...

    async def recent_titles(self, profile_id: UUID, limit: int) -> list[TitleState]:
        """The profile's titles, most recently watched first."""
        ...

    async def hide(
        self, profile_id: UUID, video_id: int, at: datetime, event: Outgoing | None = None
    ) -> bool:
        """Hide the title from Continue Watching until an update newer than ``at``; True if
        the profile has the title. ``event`` as for ``apply``."""
        ...

    async def watch_seconds(self, profile_id: UUID) -> float:
        """Seconds watched so far: the positions of all the profile's progress, summed.

        Experiments record it at a profile's first exposure as the CUPED covariate. There is
        no cut-off time: a position is overwritten as viewing goes on, so "so far" (read at
        the exposure) is all either store can say.
        """
        ...

    def watch_feedback(self, batch_size: int = 1000) -> AsyncIterator[Sequence[WatchFeedback]]:
        """Every profile's viewing, one row per (profile, title), in batches of about
        ``batch_size``, in no particular order: what training reads. A full scan."""
        ...

    async def erase(self, profile_ids: Sequence[UUID]) -> int:
        """Delete every row of these profiles, for good (an erasure: later writes carrying
        older client times do not bring them back); rows deleted where the store can tell."""
        ...

    async def rows_of(self, profile_id: UUID) -> int:
        """How many rows the store holds for the profile: what an erasure check counts."""
        ...

    async def close(self) -> None: ...
