"""The Clear Key license use case over the real database: only the title's own key."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput, NotFound
from datasources.playback.assets import begin_ingest, publish
from datasources.playback.tables import media_assets
from media.drm import b64url, new_content_key, seal
from resolvers.playback.license import title_license
from tests.media.conftest import add_movie

MASTER = bytes(range(32))


async def _protect(engine: AsyncEngine, video_id: int) -> bytes:
    """Record a ready Clear Key asset for the video; returns its content key."""
    content = new_content_key()
    await begin_ingest(engine, video_id, None)
    await publish(
        engine,
        video_id,
        None,
        {
            "ladder": [],
            "codecs": ["avc1.64001e"],
            "drm": "clearkey",
            "key_id": content.kid_uuid,
            "encrypted_key": seal(MASTER, content),
            "storage_path": f"video-{video_id}-00000000",
        },
    )
    return content.kid


async def test_the_license_hands_out_the_titles_key_only(engine: AsyncEngine) -> None:
    protected, other = await add_movie(engine, "Locked"), await add_movie(engine, "Open")
    kid = await _protect(engine, protected)
    async with engine.connect() as connection:
        stored = await connection.scalar(select(media_assets.c.encrypted_key))
    assert stored is not None

    license = await title_license(engine, MASTER, protected, None, [b64url(kid), "AAAA"])
    assert json.loads(json.dumps(license)) == license
    (entry,) = license["keys"]
    assert entry["kid"] == b64url(kid) and entry["kty"] == "oct"
    assert entry["k"] not in bytes(stored).hex() and entry["k"].encode() not in bytes(stored)

    with pytest.raises(NotFound):  # a key id this title does not have
        await title_license(engine, MASTER, protected, None, [b64url(bytes(16))])
    with pytest.raises(NotFound):  # a title without protected media
        await title_license(engine, MASTER, other, None, [b64url(kid)])
    with pytest.raises(BadUserInput):
        await title_license(engine, MASTER, protected, None, ["not base64!"])
