"""Viewing progress: heartbeats in, Continue Watching and history out."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auth import maturity
from core.errors import BadUserInput, NotFound
from core.ids import parse_int_id
from core.pagination import PageRequest
from core.records import Episode, Page, Profile, Video, VideoType
from core.viewing_records import (
    MOVIE,
    EpisodeSlot,
    Progress,
    ProgressUpdate,
    TitleState,
    TitleStateKind,
)
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.personalization.homepage import signal_changed
from viewing import recorder, rules

CONTINUE_WATCHING_MAX = 20
HISTORY_MAX = 500  # titles considered; older history is out of reach of the UI anyway
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_DURATION_SECONDS = 24 * 3600
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class WatchedTitle:
    """A title's standing with the video (and episode) it points at, ready to show."""

    video: Video
    episode: Episode | None
    state: TitleState


async def episode_of(ctx: Context, video: Video, episode_id: str | None) -> Episode | None:
    if video.type is not VideoType.SERIES:
        if episode_id is not None:
            raise BadUserInput("A movie has no episodes; leave out `episodeId`.")
        return None
    if episode_id is None:
        raise BadUserInput("Progress on a series needs the `episodeId` being watched.")
    episode = await ctx.loaders.episode.load(parse_int_id(episode_id, "episode"))
    if episode is None or episode.video_id != video.id:
        raise NotFound("No such episode in this series.")
    return episode


async def _slots(ctx: Context, video: Video) -> list[EpisodeSlot]:
    return await ctx.loaders.episode_slots.load(video.id)


def _validated_numbers(position: float, duration: float, client_timestamp: datetime) -> datetime:
    if not (math.isfinite(position) and math.isfinite(duration)):
        raise BadUserInput("Positions and durations must be finite numbers.")
    if not 0 < duration <= MAX_DURATION_SECONDS:
        raise BadUserInput("`durationSeconds` must be more than 0 and at most 24 hours.")
    if position < 0:
        raise BadUserInput("`positionSeconds` cannot be negative.")
    if position > duration:
        raise BadUserInput("`positionSeconds` cannot be past `durationSeconds`.")
    if client_timestamp.tzinfo is None:
        client_timestamp = client_timestamp.replace(tzinfo=UTC)
    if client_timestamp > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise BadUserInput("`clientTimestamp` is more than 5 minutes in the future.")
    return client_timestamp


async def update_progress(
    ctx: Context,
    *,
    video_id: str,
    episode_id: str | None,
    position_seconds: float,
    duration_seconds: float,
    client_timestamp: datetime,
    device_id: str,
) -> Progress:
    """Record a heartbeat (last write wins) and answer with what is stored now."""
    profile = ctx.viewer.require_profile()
    stamp = _validated_numbers(position_seconds, duration_seconds, client_timestamp)
    if not _DEVICE_ID.match(device_id):
        raise BadUserInput("`deviceId` must be 1 to 64 letters, digits, '.', '_', ':' or '-'.")
    video = await visible_video(ctx, profile, video_id)
    episode = await episode_of(ctx, video, episode_id)
    update = ProgressUpdate(
        profile_id=profile.id,
        video_id=video.id,
        episode_id=episode.id if episode else MOVIE,
        position_seconds=float(position_seconds),
        duration_seconds=float(duration_seconds),
        client_timestamp=stamp,
        device_id=device_id,
    )
    slots = await _slots(ctx, video) if episode else []
    country = ctx.viewer.require_account().country
    applied = await recorder.record(ctx.viewing, update, slots, ctx.events, country)
    if applied:
        await signal_changed(ctx)
    if applied.progress:
        return update.as_stored()
    # A newer update is stored already (a reordered or repeated heartbeat): answer with it.
    stored = await ctx.viewing.progress(profile.id, [(update.video_id, update.episode_id)])
    return stored[(update.video_id, update.episode_id)]


async def _watched(ctx: Context, profile: Profile, states: list[TitleState]) -> list[WatchedTitle]:
    """Attach videos and episodes, dropping titles gone or above the profile's maturity."""
    videos = await ctx.loaders.video.load_many([state.video_id for state in states])
    episodes = await ctx.loaders.episode.load_many([state.episode_id for state in states])
    return [
        WatchedTitle(video, episode if state.episode_id else None, state)
        for state, video, episode in zip(states, videos, episodes, strict=True)
        if video is not None and maturity.allows(profile.maturity_level, video.maturity_level)
    ]


async def continue_watching(ctx: Context, first: int | None) -> list[WatchedTitle]:
    profile = ctx.viewer.require_profile()
    limit = CONTINUE_WATCHING_MAX if first is None else first
    if not 1 <= limit <= CONTINUE_WATCHING_MAX:
        raise BadUserInput(f"`first` must be between 1 and {CONTINUE_WATCHING_MAX}.")
    recent = await ctx.viewing.recent_titles(profile.id, HISTORY_MAX)
    watching = [t for t in recent if t.state is TitleStateKind.IN_PROGRESS and not t.hidden]
    return (await _watched(ctx, profile, watching))[:limit]


async def viewing_history(
    ctx: Context, first: int | None, after: str | None
) -> tuple[Page[WatchedTitle], PageRequest]:
    profile = ctx.viewer.require_profile()
    request = PageRequest.parse(first, after)
    recent = await ctx.viewing.recent_titles(profile.id, HISTORY_MAX)
    watched = await _watched(
        ctx, profile, [t for t in recent if t.state is not TitleStateKind.NOT_STARTED]
    )
    items = watched[request.offset : request.offset + request.limit]
    return Page(items, len(watched)), request


async def hide_from_continue_watching(ctx: Context, video_id: str) -> bool:
    profile = ctx.viewer.require_profile()
    video = await visible_video(ctx, profile, video_id)
    now = datetime.now(UTC)
    hidden = await recorder.hide(ctx.viewing, profile.id, video.id, now, ctx.events)
    await signal_changed(ctx)
    return hidden


async def title_progress(ctx: Context, video: Video) -> TitleState | None:
    profile = ctx.viewer.profile
    if profile is None:
        return None
    return await ctx.loaders.title_state.load((profile.id, video.id))


def progress_id(ctx: Context, record: Progress | TitleState) -> str:
    """Progress's cache key (docs/client_caching.md): ``profile:video:episode`` for an
    episode's progress, ``profile:video`` for a movie's and for a title's standing as a whole
    (for a movie the two are one thing, so a heartbeat's answer updates both)."""
    title = f"{_viewing_profile(ctx)}:{record.video_id}"
    if isinstance(record, TitleState) or record.episode_id == MOVIE:
        return title
    return f"{title}:{record.episode_id}"


async def progress_video(ctx: Context, record: Progress | TitleState) -> Video:
    """The title progress is in (the viewer saw it when the progress was read or stored)."""
    found = await ctx.loaders.video.load(record.video_id)
    if found is None:  # deleted since
        raise NotFound("No such title.")
    return found


def title_id(ctx: Context, video_id: int) -> str:
    """A title's row in Continue Watching: ``profile:video``."""
    return f"{_viewing_profile(ctx)}:{video_id}"


def _viewing_profile(ctx: Context) -> str:
    # Progress only ever reaches a client for the active profile (every read requires one).
    profile = ctx.viewer.profile
    return str(profile.id) if profile else "-"


def completed(record: Progress | TitleState) -> bool:
    """A title's standing says so; an episode's (or movie's) progress by the viewing rules."""
    if isinstance(record, TitleState):
        return record.state is TitleStateKind.COMPLETED
    return rules.is_completed(record.fraction)


async def progress_episode(ctx: Context, record: Progress | TitleState) -> Episode | None:
    """The episode progress is in (for a title's standing: the one it stands at), if any."""
    if record.episode_id == MOVIE:
        return None
    return await ctx.loaders.episode.load(record.episode_id)


async def up_next(ctx: Context, video: Video) -> Episode | None:
    """The episode Play starts for the active profile (``viewing.rules.up_next``), if any."""
    if video.type is not VideoType.SERIES:
        return None
    profile = ctx.viewer.profile
    standing = await ctx.loaders.title_state.load((profile.id, video.id)) if profile else None
    episode_id = rules.up_next(standing, await _slots(ctx, video))
    return await ctx.loaders.episode.load(episode_id) if episode_id is not None else None


async def episode_progress(ctx: Context, episode: Episode) -> Progress | None:
    profile = ctx.viewer.profile
    if profile is None:
        return None
    return await ctx.loaders.progress.load((profile.id, episode.video_id, episode.id))


async def resume_position(
    ctx: Context, profile: Profile, video: Video, episode: Episode | None
) -> float:
    """Where playback should start: the newest position any device stored (0 if none, or done)."""
    key = (profile.id, video.id, episode.id if episode else MOVIE)
    progress = await ctx.loaders.progress.load(key)
    if progress is None or completed(progress):
        return 0.0
    return progress.position_seconds
