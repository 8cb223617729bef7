"""My List and thumbs: the profile's explicit signals."""

from __future__ import annotations

from core.pagination import PageRequest
from core.records import Page, Video
from core.thumbs import Thumbs
from datasources.personalization import signals
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.personalization.homepage import signal_changed


async def add(ctx: Context, video_id: str) -> Video:
    profile = ctx.viewer.require_profile()
    video = await visible_video(ctx, profile, video_id)
    await signals.add_to_list(ctx.engine, profile.id, video.id)
    await signal_changed(ctx)
    return video


async def remove(ctx: Context, video_id: str) -> Video:
    profile = ctx.viewer.require_profile()
    video = await visible_video(ctx, profile, video_id)
    await signals.remove_from_list(ctx.engine, profile.id, video.id)
    await signal_changed(ctx)
    return video


async def rate(ctx: Context, video_id: str, rating: Thumbs) -> Video:
    profile = ctx.viewer.require_profile()
    video = await visible_video(ctx, profile, video_id)
    await signals.rate(ctx.engine, profile.id, video.id, rating.score)
    await signal_changed(ctx)
    return video


async def page(
    ctx: Context, first: int | None, after: str | None
) -> tuple[Page[Video], PageRequest]:
    profile = ctx.viewer.require_profile()
    request = PageRequest.parse(first, after)
    ids = await signals.list_page(
        ctx.engine,
        profile.id,
        max_maturity=profile.maturity_level,
        offset=request.offset,
        limit=request.limit,
    )
    found = await ctx.loaders.video.load_many(ids.items)
    return Page([video for video in found if video is not None], ids.total), request


async def in_my_list(ctx: Context, video: Video) -> bool:
    profile = ctx.viewer.profile
    return profile is not None and await ctx.loaders.in_my_list.load((profile.id, video.id))


async def my_rating(ctx: Context, video: Video) -> Thumbs:
    profile = ctx.viewer.profile
    value = await ctx.loaders.rating.load((profile.id, video.id)) if profile else 0
    return Thumbs.of_score(value)
