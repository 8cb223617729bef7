"""Catalog: browsing, search and the staff edits. Maturity is enforced in every read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth import maturity
from core.errors import BadUserInput, NotFound
from core.ids import parse_int_id
from core.pagination import PageRequest
from core.records import Episode, Page, Profile, Season, Video, VideoType
from datasources import catalog
from lifecycle.audit import AuditAction, audit
from resolvers.context import Context

MAX_QUERY_LENGTH = 200
ARTWORK_EXPERIMENT = "artwork"


@dataclass(frozen=True)
class VideoPage:
    page: Page[Video]
    request: PageRequest


async def video(ctx: Context, video_id: str) -> Video | None:
    """The title, or None when it does not exist or is above the active profile's maturity."""
    try:
        return await visible_video(ctx, ctx.viewer.require_profile(), video_id)
    except NotFound:
        return None


async def visible_video(ctx: Context, profile: Profile, video_id: str) -> Video:
    """The title, or NOT_FOUND when it is missing or above the profile's maturity: the one
    place a single title is checked against the profile (lists filter in their queries)."""
    wanted = parse_int_id(video_id, "video")
    # From the in-memory catalog (a second old at most); a title added since, from SQL.
    found = (await ctx.catalog.current()).videos.get(wanted) or await ctx.loaders.video.load(wanted)
    if found is None or not maturity.allows(profile.maturity_level, found.maturity_level):
        raise NotFound("No such title.")
    return found


async def videos(
    ctx: Context, first: int | None, after: str | None, genre: str | None
) -> VideoPage:
    profile = ctx.viewer.require_profile()
    request = PageRequest.parse(first, after)
    page = await catalog.list_videos(
        ctx.engine,
        max_maturity=profile.maturity_level,
        genre=genre,
        offset=request.offset,
        limit=request.limit,
    )
    return VideoPage(page, request)


async def search(ctx: Context, query: str, first: int | None, after: str | None) -> VideoPage:
    profile = ctx.viewer.require_profile()
    text = " ".join(query.split())
    if not text:
        raise BadUserInput("Type something to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise BadUserInput(f"A search can be at most {MAX_QUERY_LENGTH} characters.")
    request = PageRequest.parse(first, after)
    page = await catalog.search_videos(
        ctx.engine,
        text=text,
        max_maturity=profile.maturity_level,
        offset=request.offset,
        limit=request.limit,
    )
    return VideoPage(page, request)


async def genres(ctx: Context) -> list[str]:
    profile = ctx.viewer.require_profile()
    return await catalog.genres(ctx.engine, max_maturity=profile.maturity_level)


def poster(video: Video, treatment: Mapping[str, Any] | None) -> str | None:
    """The default poster, or, for the "personalized" artwork variant, the title's other
    artwork (its backdrop frame) where it has one."""
    if treatment and treatment.get("artwork") == "personalized" and video.backdrop_url:
        return video.backdrop_url
    return video.poster_url


MAX_SIMILAR = 50


async def similar(ctx: Context, video: Video, first: int) -> list[Video]:
    """More like this: nearest titles by embedding among those the profile may watch."""
    profile = ctx.viewer.require_profile()
    if not 1 <= first <= MAX_SIMILAR:
        raise BadUserInput(f"`first` must be between 1 and {MAX_SIMILAR}.")
    snapshot = await ctx.catalog.current()
    allowed = {
        vid: v
        for vid, v in snapshot.videos.items()
        if maturity.allows(profile.maturity_level, v.maturity_level)
    }
    ids = await ctx.personalizer.similar(video, allowed, first)
    return [allowed[vid] for vid in ids if vid in allowed]


async def visible_episode(ctx: Context, episode_id: str) -> Episode | None:
    """An episode found by id (a federated reference), None when missing or when its series
    is above the active profile's maturity, like ``video``."""
    found = await ctx.loaders.episode.load(parse_int_id(episode_id, "episode"))
    if found is None or await video(ctx, str(found.video_id)) is None:
        return None
    return found


async def visible_season(ctx: Context, season_id: str) -> Season | None:
    """A season found by id (a federated reference), under the same rule as its series."""
    found = await ctx.loaders.season.load(parse_int_id(season_id, "season"))
    if found is None or await video(ctx, str(found.video_id)) is None:
        return None
    return found


async def seasons(ctx: Context, video: Video) -> list[Season]:
    return await ctx.loaders.seasons.load(video.id)


async def episodes(ctx: Context, season: Season) -> list[Episode]:
    return await ctx.loaders.episodes.load(season.id)


# Staff edits. Role checks sit in the directive layer; these validate and write.


def video_values(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated column values from a create or update input (absent keys left out)."""
    values = {key: value for key, value in fields.items() if value is not None}
    if creating:
        for required in ("title", "type", "rating"):
            if required not in values:
                raise BadUserInput(f"`{required}` is required.")
    if "title" in values:
        values["title"] = values["title"].strip()
        if not 1 <= len(values["title"]) <= 300:
            raise BadUserInput("`title` must be 1 to 300 characters.")
    if "type" in values and values["type"] not in set(VideoType):
        raise BadUserInput(f"`type` must be {' or '.join(VideoType)}.")
    if "rating" in values:
        level = maturity.RATING_LEVELS.get(values["rating"])
        if level is None:
            known = ", ".join(maturity.RATING_LEVELS)
            raise BadUserInput(f"`rating` must be one of {known}.")
        values["maturity_level"] = level
    if "release_year" in values and not 1870 <= values["release_year"] <= 2100:
        raise BadUserInput("`releaseYear` must be between 1870 and 2100.")
    if "duration_minutes" in values and not 1 <= values["duration_minutes"] <= 1000:
        raise BadUserInput("`durationMinutes` must be between 1 and 1000.")
    if "genres" in values:
        values["genres"] = sorted({genre.strip() for genre in values["genres"] if genre.strip()})
    return values


async def create_video(ctx: Context, fields: dict[str, Any]) -> Video:
    created = await catalog.create_video(ctx.engine, video_values(fields, creating=True))
    await ctx.catalog.changed()
    await _audit(ctx, AuditAction.VIDEO_CREATED, created.id)
    return created


async def update_video(ctx: Context, video_id: str, fields: dict[str, Any]) -> Video:
    values = video_values(fields, creating=False)
    if not values:
        raise BadUserInput("Nothing to update.")
    updated = await catalog.update_video(ctx.engine, parse_int_id(video_id, "video"), values)
    if updated is None:
        raise NotFound("No such video.")
    await ctx.catalog.changed()
    await _audit(ctx, AuditAction.VIDEO_UPDATED, updated.id, fields=",".join(sorted(values)))
    return updated


async def delete_video(ctx: Context, video_id: str) -> bool:
    deleted = parse_int_id(video_id, "video")
    if not await catalog.delete_video(ctx.engine, deleted):
        raise NotFound("No such video.")
    await ctx.catalog.changed()
    await _audit(ctx, AuditAction.VIDEO_DELETED, deleted)
    return True


async def _audit(ctx: Context, action: AuditAction, video_id: int, **details: str) -> None:
    actor = ctx.viewer.require_account().id
    await audit(
        ctx.events, action, actor_account_id=actor, target=f"video:{video_id}", details=details
    )
