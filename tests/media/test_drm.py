"""Clear Key: sealed content keys and the license, over the real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import BadUserInput, NotFound
from datasources.media.assets import begin_ingest, publish
from datasources.media.tables import media_assets
from media.drm import (
    b64url,
    clearkey_license,
    license_response,
    new_content_key,
    parse_license_request,
    parse_master_key,
    pssh_box,
    seal,
    unseal,
)
from tests.media.conftest import add_movie

MASTER = bytes(range(32))


def test_sealed_keys_open_only_with_their_master_key_and_key_id() -> None:
    content = new_content_key()
    sealed = seal(MASTER, content)
    assert content.key not in sealed
    assert unseal(MASTER, content.kid, sealed) == content
    with pytest.raises(RuntimeError):
        unseal(bytes(32), content.kid, sealed)
    with pytest.raises(RuntimeError):  # moved to another key id
        unseal(MASTER, bytes(16), sealed)


def test_master_key_formats() -> None:
    assert parse_master_key(MASTER.hex()) == MASTER
    assert parse_master_key(b64url(MASTER)) == MASTER
    with pytest.raises(ValueError, match="32 bytes"):
        parse_master_key("abcd")


def test_license_request_parsing() -> None:
    assert parse_license_request(b'{"kids":["AAAA"],"type":"temporary"}') == ["AAAA"]
    for body in (b"", b"[]", b'{"kids": []}', b'{"kids": [1]}', b"{"):
        with pytest.raises(BadUserInput):
            parse_license_request(body)


def test_pssh_box_lists_the_key_id() -> None:
    kid = bytes(range(16))
    box = pssh_box([kid])
    assert len(box) == int.from_bytes(box[:4], "big") == 52
    assert box[4:8] == b"pssh" and box.endswith(kid + bytes(4))


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

    license = await clearkey_license(engine, MASTER, protected, None, [b64url(kid), "AAAA"])
    assert json.loads(json.dumps(license)) == license
    (entry,) = license["keys"]
    assert entry["kid"] == b64url(kid) and entry["kty"] == "oct"
    assert entry["k"] not in bytes(stored).hex() and entry["k"].encode() not in bytes(stored)

    with pytest.raises(NotFound):  # a key id this title does not have
        await clearkey_license(engine, MASTER, protected, None, [b64url(bytes(16))])
    with pytest.raises(NotFound):  # a title without protected media
        await clearkey_license(engine, MASTER, other, None, [b64url(kid)])
    with pytest.raises(BadUserInput):
        await clearkey_license(engine, MASTER, protected, None, ["not base64!"])


def test_license_response_shape() -> None:
    content = new_content_key()
    assert license_response([content]) == {
        "keys": [{"kty": "oct", "k": b64url(content.key), "kid": b64url(content.kid)}],
        "type": "temporary",
    }
