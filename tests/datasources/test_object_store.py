"""The ObjectStore contract (datasources/objects/) on a real S3 server: the rclone one
scripts/test starts, or whichever FLIX_TEST_S3_ENDPOINT names; a fresh bucket per test."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import httpx
import pytest

from datasources.objects import (
    InvalidKey,
    ObjectMissing,
    ObjectStoreError,
    ObjectStoreUnavailable,
    S3ObjectStore,
)
from datasources.objects.s3 import PART_BYTES
from server.processes import free_port
from tests.helpers.objects import bucket, s3_config

__all__ = ["bucket"]  # the fixture, used by name below


async def test_put_then_get_head_and_delete(bucket: S3ObjectStore) -> None:
    data = b"the first object"
    written = await bucket.put(
        "a/b/one.txt", data, content_type="text/plain", metadata={"kind": "test"}
    )
    assert written.sha256 == hashlib.sha256(data).hexdigest()

    assert await bucket.get("a/b/one.txt") == data
    info = await bucket.head("a/b/one.txt")
    assert info is not None
    assert (info.key, info.size, info.content_type) == ("a/b/one.txt", len(data), "text/plain")
    assert info.sha256 == written.sha256
    assert info.metadata["kind"] == "test"
    assert info.etag == written.etag

    await bucket.delete("a/b/one.txt")
    assert await bucket.head("a/b/one.txt") is None
    await bucket.delete("a/b/one.txt")  # deleting what is gone is no error


async def test_a_put_replaces_the_object_whole(bucket: S3ObjectStore) -> None:
    await bucket.put("k", b"old and longer")
    await bucket.put("k", b"new")
    assert await bucket.get("k") == b"new"
    info = await bucket.head("k")
    assert info is not None and info.size == 3


async def test_a_missing_object_is_object_missing(bucket: S3ObjectStore) -> None:
    assert await bucket.head("nothing/here") is None
    with pytest.raises(ObjectMissing):
        await bucket.get("nothing/here")
    with pytest.raises(ObjectMissing):
        await bucket.download("nothing/here", Path(os.devnull))


async def test_list_follows_every_page_and_whole_segments(bucket: S3ObjectStore) -> None:
    # More than one ListObjectsV2 page (1000 keys).
    keys = [f"many/{n:05d}" for n in range(1003)]
    limit = asyncio.Semaphore(16)

    async def put(key: str) -> None:
        async with limit:
            await bucket.put(key, b"x")

    await asyncio.gather(*(put(key) for key in keys))
    await bucket.put("manyother/1", b"y")  # shares the prefix's letters, not its folder

    listed = await bucket.list("many")
    assert [info.key for info in listed] == keys
    assert all(info.size == 1 for info in listed)
    assert [info.key for info in await bucket.list("manyother")] == ["manyother/1"]
    assert len(await bucket.list()) == len(keys) + 1
    assert await bucket.list("absent") == []


async def test_a_large_file_goes_up_in_parts_and_comes_back(
    bucket: S3ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "large.bin"
    source.write_bytes(os.urandom(2 * PART_BYTES + 12345))  # three parts
    sent: list[int] = []

    written = await bucket.put_file("big/large.bin", source, progress=sent.append)

    assert sent[-1] == source.stat().st_size and sent == sorted(sent)
    info = await bucket.head("big/large.bin")
    assert info is not None and info.size == source.stat().st_size
    assert info.sha256 == written.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    target = tmp_path / "back.bin"
    received: list[int] = []
    assert await bucket.download("big/large.bin", target, progress=received.append) == info.size
    assert target.read_bytes() == source.read_bytes()
    assert received[-1] == info.size


async def test_a_cancelled_upload_leaves_nothing_at_the_key(
    bucket: S3ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "large.bin"
    source.write_bytes(os.urandom(6 * PART_BYTES))
    first_part = asyncio.Event()

    def progress(_sent: int) -> None:
        first_part.set()

    upload = asyncio.create_task(bucket.put_file("big/cut.bin", source, progress=progress))
    await first_part.wait()
    upload.cancel()  # Ctrl-C part-way through
    with pytest.raises(asyncio.CancelledError):
        await upload

    assert await bucket.head("big/cut.bin") is None
    assert await bucket.list("big") == []


async def test_a_presigned_url_serves_the_object_until_it_is_tampered_with(
    bucket: S3ObjectStore,
) -> None:
    await bucket.put("media/clip.mp4", b"0123456789", content_type="video/mp4")
    url = await bucket.presigned_get_url("media/clip.mp4", 60)

    async with httpx.AsyncClient() as http:
        whole = await http.get(url)
        assert whole.status_code == 200 and whole.content == b"0123456789"
        part = await http.get(url, headers={"Range": "bytes=2-5"})
        # rclone answers a range with the right bytes and Content-Range but status 200
        # (S3 says 206): what reads ranges through it must go by Content-Range.
        assert part.status_code in (200, 206) and part.content == b"2345"
        assert part.headers["content-range"] == "bytes 2-5/10"
        tampered = await http.get(url.replace("media/clip.mp4", "media/other.mp4"))
        assert tampered.status_code == 403
        unsigned = await http.get(url.split("?", 1)[0])
        assert unsigned.status_code in (400, 403)  # refused either way; never the object
        assert unsigned.content != b"0123456789"
    with pytest.raises(Exception, match="expire"):
        await bucket.presigned_get_url("media/clip.mp4", 0)


@pytest.mark.parametrize("key", ["", "/a", "a/", "a//b", "a/../b", "./a", "a/."])
async def test_keys_that_servers_would_alias_are_refused_before_any_request(
    bucket: S3ObjectStore, key: str
) -> None:
    with pytest.raises(InvalidKey):
        await bucket.put(key, b"x")
    with pytest.raises(InvalidKey):
        await bucket.head(key)


async def test_wrong_credentials_and_a_missing_bucket_are_store_errors() -> None:
    wrong = S3ObjectStore(s3_config("anything", secret_access_key="not-the-secret"))
    with pytest.raises(ObjectStoreError):
        await wrong.put("k", b"x")
    assert not await wrong.ready()

    missing = S3ObjectStore(s3_config("no-such-bucket-here"))
    with pytest.raises(ObjectStoreError, match="no such bucket"):
        await missing.put("k", b"x")
    assert not await missing.ready()


async def test_a_store_that_is_down_is_unavailable(bucket: S3ObjectStore) -> None:
    assert await bucket.ready()
    down = S3ObjectStore(
        s3_config(bucket.bucket, endpoint=f"http://127.0.0.1:{free_port()}", max_retries=0)
    )
    with pytest.raises(ObjectStoreUnavailable) as raised:
        await down.get("k")
    assert raised.value.code == "UNAVAILABLE"
    assert not await down.ready()
