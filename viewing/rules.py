"""The rules of watching: when a title counts as started or completed, what plays next."""

from __future__ import annotations

from collections.abc import Sequence

from core.viewing_records import (
    COMPLETED_ABOVE,
    MOVIE,
    STARTED_FROM,
    EpisodeSlot,
    ProgressUpdate,
    TitleState,
    TitleStateKind,
)

__all__ = ["EpisodeSlot", "is_completed", "title_state_after", "up_next"]


def _kind(fraction: float) -> TitleStateKind:
    if fraction > COMPLETED_ABOVE:
        return TitleStateKind.COMPLETED
    if fraction >= STARTED_FROM:
        return TitleStateKind.IN_PROGRESS
    return TitleStateKind.NOT_STARTED


def is_completed(fraction: float) -> bool:
    """Whether watching this share of a movie or an episode finishes it."""
    return _kind(fraction) is TitleStateKind.COMPLETED


def title_state_after(update: ProgressUpdate, episodes: Sequence[EpisodeSlot]) -> TitleState:
    """The title's standing once ``update`` is the newest news about it.

    A movie is simply where its progress is. A series stands at the episode being watched;
    finishing an episode moves it to the next one (across seasons) at 0:00, and finishing the
    last one completes the series.
    """
    fraction = min(1.0, update.position_seconds / update.duration_seconds)
    here = (update.episode_id, update.position_seconds, update.duration_seconds)
    kind = _kind(fraction)
    if update.episode_id != MOVIE:
        order = [slot.episode_id for slot in episodes]
        # An episode since removed from the series has no neighbours: it stands alone.
        index = order.index(update.episode_id) if update.episode_id in order else len(order)
        if kind is TitleStateKind.COMPLETED and index + 1 < len(order):
            following = episodes[index + 1]
            here = (following.episode_id, 0.0, following.duration_seconds)
            kind = TitleStateKind.IN_PROGRESS
        elif kind is TitleStateKind.NOT_STARTED and 0 < index < len(order):
            kind = TitleStateKind.IN_PROGRESS  # a series is under way past its first episode
    episode_id, position, duration = here
    return TitleState(
        video_id=update.video_id,
        episode_id=episode_id,
        position_seconds=position,
        duration_seconds=duration,
        state=kind,
        client_timestamp=update.client_timestamp,
        device_id=update.device_id,
    )


def up_next(standing: TitleState | None, episodes: Sequence[EpisodeSlot]) -> int | None:
    """The episode of a series that Play starts for a profile, or None once it is finished.

    That is where the title stands (``title_state_after`` has already moved it past a
    finished episode), or the first episode when the profile has not started the series or
    the episode it stood at has been removed since. A finished series has none (unless an
    episode came out after the one it finished on); nor has a movie, having no episodes.
    """
    if not episodes:
        return None
    if standing is None:
        return episodes[0].episode_id
    order = [slot.episode_id for slot in episodes]
    if standing.episode_id not in order:
        return order[0]
    if standing.state is TitleStateKind.COMPLETED:
        # Finished: nothing, unless an episode has been added after the last one watched.
        index = order.index(standing.episode_id) + 1
        return order[index] if index < len(order) else None
    return standing.episode_id
