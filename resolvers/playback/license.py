"""The Clear Key license: a title's content key, for a session allowed to play the title."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput, NotFound
from datasources.playback import assets
from media import drm
from resolvers.catalog import visible_video
from resolvers.context import Context
from resolvers.viewing import episode_of


async def clearkey_license(
    ctx: Context,
    master_key: bytes,
    video_id: str | None,
    episode_id: str | None,
    body: bytes,
) -> dict[str, Any]:
    """The answer to a browser's license request (``body``) for the title named.

    With no title named (the license URL in a manifest names none), the title is the one
    whose key the request asks for; the same checks then apply to it.
    """
    kids = drm.parse_license_request(body)
    if video_id is None:
        ctx.viewer.require_profile()  # refused before any key id is looked up
        requested = drm.requested_key_ids(kids)
        found = await assets.title_with_key(
            ctx.engine, [UUID(bytes=kid) for kid in requested if len(kid) == 16]
        )
        if found is None:
            raise NotFound("no key for this title")
        video_id, episode_id = str(found[0]), None if found[1] is None else str(found[1])
    video, episode = await licensed_title(ctx, video_id, episode_id)
    return await title_license(ctx.engine, master_key, video, episode, kids)


async def clearkey_content_key(ctx: Context, master_key: bytes, kid_hex: str) -> bytes:
    """The raw 16-byte content key under key id ``kid_hex`` (32 hex digits), for a session
    allowed to play its title: what an HLS ``KEYFORMAT="identity"`` key URI answers.

    The same key, to the same sessions, as :func:`clearkey_license` hands out in JSON.
    """
    try:
        kid = bytes.fromhex(kid_hex)
    except ValueError:
        kid = b""
    if len(kid) != 16:
        raise BadUserInput("kid must be a key id: 32 hex digits")
    request = json.dumps({"kids": [drm.b64url(kid)]}).encode()
    answer = await clearkey_license(ctx, master_key, None, None, request)
    return drm.b64decode(answer["keys"][0]["k"])


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
