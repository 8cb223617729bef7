"""The Clear Key license: a title's content key, for a session allowed to play the title."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import NotFound
from datasources.playback import assets
from media import drm
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.viewing import episode_of


async def clearkey_license(
    ctx: Context, master_key: bytes, video_id: str, episode_id: str | None, body: bytes
) -> dict[str, Any]:
    """The answer to a browser's license request (``body``) for the title named."""
    video, episode = await licensed_title(ctx, video_id, episode_id)
    kids = drm.parse_license_request(body)
    return await title_license(ctx.engine, master_key, video, episode, kids)


async def licensed_title(
    ctx: Context, video_id: str, episode_id: str | None
) -> tuple[int, int | None]:
    """The (video, episode) whose key this session may receive: signed in, a profile chosen,
    the title within its maturity. Anything else is refused before any key is looked at."""
    profile = ctx.viewer.require_profile()
    video = await visible_video(ctx, profile, video_id)
    episode = await episode_of(ctx, video, episode_id)
    return video.id, episode.id if episode else None


async def title_license(
    engine: AsyncEngine,
    master_key: bytes,
    video_id: int,
    episode_id: int | None,
    kids: Sequence[str],
) -> dict[str, Any]:
    """The Clear Key license for the title's key, if ``kids`` asks for it.

    ``kids`` are base64url key ids, as in the browser's request. NotFound when the title
    has no ready Clear Key asset or its key was not asked for: a client learns nothing
    about other titles' keys from the answer.
    """
    requested = drm.requested_key_ids(kids)
    stored = await assets.sealed_key(engine, video_id, episode_id)
    if stored is None or stored.key_id.bytes not in requested:
        raise NotFound("no key for this title")
    return drm.license_response([drm.unseal(master_key, stored.key_id.bytes, stored.encrypted_key)])
