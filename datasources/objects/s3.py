"""The object store on S3 (AWS, MinIO, or ``rclone serve s3`` in tests and ``flix serve``),
through obstore: a typed async client (Rust's object_store) that signs, retries, streams
multipart uploads and presigns URLs itself.

Only this module imports obstore; every error leaves it as one of datasources/objects/store.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
import obstore
import obstore.exceptions
from obstore.store import S3Store

from core.errors import BadUserInput
from datasources.objects.store import (
    SHA256_METADATA,
    ObjectInfo,
    ObjectMissing,
    ObjectStoreError,
    ObjectStoreUnavailable,
    ObjectStream,
    Progress,
)

if TYPE_CHECKING:
    from obstore import Attributes, BytesStream, ObjectMeta

__all__ = ["S3Config", "S3ObjectStore", "sha256_of_file"]

T = TypeVar("T")

# Big enough that S3's part limit (10,000) allows 50 GB files; small enough to bound memory.
PART_BYTES = 8 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
# What open() hands on at a time: small enough that a proxied segment starts flowing at once.
_STREAM_CHUNK = 256 * 1024
# Keys as every S3 server stores them (MinIO and rclone map keys to file paths and refuse
# "..", "." and empty segments): checked here so a bad key fails before any request.
_BAD_SEGMENT = re.compile(r"(^|/)(\.{1,2})?(/|$)")


@dataclass(frozen=True)
class S3Config:
    endpoint: str  # e.g. http://127.0.0.1:9000; "" means AWS itself (the region's endpoint)
    bucket: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"
    # Connecting may take this long, a request (one part of an upload) a minute at most:
    # a stalled store fails the call (UNAVAILABLE) instead of hanging it.
    connect_timeout_seconds: float = 2.0
    request_timeout_seconds: float = 60.0
    max_retries: int = 2


class InvalidKey(BadUserInput):
    """A key S3 servers would refuse or alias: empty, ``/``-edged, or with ``.``/``..``/``//``."""


def check_key(key: str) -> str:
    if not key or key.startswith("/") or key.endswith("/") or _BAD_SEGMENT.search(key):
        raise InvalidKey(f"not an object key: {key!r}")
    return key


class S3ObjectStore:
    """One bucket of an S3 server (datasources/objects/store.py's ObjectStore)."""

    def __init__(self, config: S3Config) -> None:
        self._config = config
        self._store = _s3_store(config, config.bucket)

    @property
    def bucket(self) -> str:
        return self._config.bucket

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        check_key(key)
        digest = hashlib.sha256(data).hexdigest()
        attributes = _attributes(digest, content_type, metadata)
        # One PUT request: S3 stores it whole or not at all.
        put = obstore.put_async(self._store, key, data, attributes=attributes, use_multipart=False)
        result = await _call(key, put)
        return _written(key, len(data), result["e_tag"], attributes)

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        check_key(key)
        size = (await asyncio.to_thread(path.stat)).st_size
        digest = await asyncio.to_thread(sha256_of_file, path)
        attributes = _attributes(digest, content_type, metadata)
        # A multipart upload: the object appears at the key only when the last part is in
        # and the upload completes. Leaving the writer by an exception (a failed read, a
        # cancel on Ctrl-C) aborts the upload, so nothing appears and no parts linger.
        writer = obstore.open_writer_async(
            self._store, key, attributes=attributes, buffer_size=PART_BYTES, max_concurrency=4
        )

        async def upload() -> None:
            sent = 0
            async with writer:
                with path.open("rb") as source:
                    while chunk := await asyncio.to_thread(source.read, PART_BYTES):
                        await writer.write(chunk)
                        sent += len(chunk)
                        if progress is not None:
                            progress(sent)

        await _call(key, upload())
        info = await self.head(key)
        etag = info.etag if info is not None else None
        return _written(key, size, etag, attributes)

    async def get(self, key: str) -> bytes:
        check_key(key)

        async def fetch() -> bytes:
            result = await obstore.get_async(self._store, key)
            return bytes(await result.bytes_async())

        return await _call(key, fetch())

    async def download(self, key: str, path: Path, *, progress: Progress | None = None) -> int:
        check_key(key)

        async def fetch() -> int:
            result = await obstore.get_async(self._store, key)
            done = 0
            with path.open("wb") as out:
                async for chunk in result.stream(min_chunk_size=_READ_CHUNK):
                    await asyncio.to_thread(out.write, chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done)
            return done

        return await _call(key, fetch())

    async def open(self, key: str) -> ObjectStream:
        check_key(key)
        # The whole object, never a ranged GET: rclone answers a Range with all of it (200),
        # which obstore refuses. A caller that wants a slice skips to it in the stream.
        result = await _call(key, obstore.get_async(self._store, key))
        info = _info(result.meta, result.attributes)
        return ObjectStream(info, _chunks(key, result.stream(min_chunk_size=_STREAM_CHUNK)))

    async def head(self, key: str) -> ObjectInfo | None:
        check_key(key)

        async def fetch() -> ObjectInfo:
            # A GET with head=True is S3's HeadObject, and unlike obstore's head() it
            # returns the object's attributes (content type, user metadata) too.
            result = await obstore.get_async(self._store, key, options={"head": True})
            return _info(result.meta, result.attributes)

        try:
            return await _call(key, fetch())
        except ObjectMissing:
            return None

    async def list(self, prefix: str = "") -> list[ObjectInfo]:
        if prefix:
            check_key(prefix)

        async def fetch() -> list[ObjectInfo]:
            found: list[ObjectInfo] = []
            # Each chunk is one ListObjectsV2 page; the stream follows continuation tokens.
            async for page in obstore.list(self._store, prefix or None, chunk_size=1000):
                found.extend(_info(meta, {}) for meta in page)
            return sorted(found, key=lambda info: info.key)

        return await _call(prefix, fetch())

    async def delete(self, key: str) -> None:
        check_key(key)
        # S3 answers 204 either way; a server that says 404 means it is gone already: done.
        with contextlib.suppress(ObjectMissing):
            await _call(key, obstore.delete_async(self._store, key))

    async def presigned_get_url(self, key: str, expires_seconds: int) -> str:
        check_key(key)
        if expires_seconds <= 0:
            raise BadUserInput("a presigned URL must expire in the future")
        expires = timedelta(seconds=expires_seconds)
        return await _call(key, obstore.sign_async(self._store, "GET", key, expires))

    async def ready(self) -> bool:
        # A listing of one page of a prefix that holds nothing: cheap, and it needs the
        # bucket to exist and the credentials to be good.
        async def probe() -> bool:
            stream = obstore.list(self._store, "flix-readiness-probe", chunk_size=1)
            async for _page in stream:
                break
            return True

        try:
            return await _call("", probe())
        except (ObjectStoreError, ObjectStoreUnavailable):
            return False

    # --- buckets: for the local servers (tests, `flix serve`) and first-time setup -----

    async def create_bucket(self) -> None:
        """Create this store's bucket (S3 CreateBucket) unless it exists.

        A presigned PUT of the bucket's root is the CreateBucket request; obstore has no
        bucket calls of its own. Outside AWS's us-east-1 a real bucket wants a location body:
        create those with the provider's tools instead."""
        await self._bucket_request("PUT", ok=(200, 409))

    async def delete_bucket(self) -> None:
        """Delete this store's (empty) bucket; an absent bucket is not an error."""
        await self._bucket_request("DELETE", ok=(200, 204, 404))

    async def _bucket_request(self, method: Literal["PUT", "DELETE"], ok: tuple[int, ...]) -> None:
        url = await _call("", obstore.sign_async(self._store, method, "", timedelta(minutes=5)))
        try:
            async with httpx.AsyncClient(timeout=self._config.request_timeout_seconds) as http:
                response = await http.request(method, url)
        except httpx.TransportError as error:
            raise ObjectStoreUnavailable(f"S3 at {self._endpoint} is unreachable") from error
        if response.status_code not in ok:
            raise ObjectStoreError(
                f"S3 {method} bucket {self.bucket!r} answered {response.status_code}: "
                f"{response.text[:200]}"
            )

    @property
    def _endpoint(self) -> str:
        return self._config.endpoint or f"AWS S3 ({self._config.region})"


def _s3_store(config: S3Config, bucket: str) -> S3Store:
    endpoint = config.endpoint.rstrip("/")
    retry = {
        "max_retries": config.max_retries,
        "retry_timeout": timedelta(seconds=config.request_timeout_seconds),
    }
    client = {
        "allow_http": urlsplit(endpoint).scheme == "http",
        "connect_timeout": timedelta(seconds=config.connect_timeout_seconds),
        "timeout": timedelta(seconds=config.request_timeout_seconds),
    }
    return S3Store(
        bucket,
        endpoint=endpoint or None,
        region=config.region,
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
        # Path style (endpoint/bucket/key): what MinIO and rclone serve without DNS tricks.
        virtual_hosted_style_request=not endpoint,
        client_options=client,  # type: ignore[arg-type]
        retry_config=retry,  # type: ignore[arg-type]
    )


async def _call(key: str, call: Awaitable[T]) -> T:
    """Await an obstore call, its errors turned into the contract's."""
    try:
        return await call
    except FileNotFoundError as error:  # obstore's NotFoundError is a FileNotFoundError
        if "NoSuchBucket" in str(error):
            raise ObjectStoreError(f"S3 has no such bucket (for {key!r})") from error
        raise ObjectMissing(f"no object at {key!r}") from error
    except (
        obstore.exceptions.PermissionDeniedError,
        obstore.exceptions.UnauthenticatedError,
    ) as error:
        raise ObjectStoreError(
            f"S3 refused the credentials for {key!r}: {_first_line(error)}"
        ) from error
    except obstore.exceptions.InvalidPathError as error:
        raise InvalidKey(f"not an object key: {key!r}") from error
    except obstore.exceptions.BaseError as error:
        message = _first_line(error)
        # A 4xx the client could not classify (a bad request): the call is wrong, not the
        # store away. Everything else (refused, reset, timed out, 5xx after the retries)
        # is an outage.
        if re.search(r"status code: 4\d\d", message):
            raise ObjectStoreError(f"S3 refused the request for {key!r}: {message}") from error
        raise ObjectStoreUnavailable(f"S3 did not answer for {key!r}: {message}") from error


async def _chunks(key: str, stream: BytesStream) -> AsyncIterator[bytes]:
    while True:
        try:
            chunk = await _call(key, anext(stream))
        except StopAsyncIteration:
            return
        yield bytes(chunk)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _attributes(
    digest: str, content_type: str | None, metadata: dict[str, str] | None
) -> Attributes:
    attributes: Attributes = {**(metadata or {}), SHA256_METADATA: digest}
    if content_type:
        attributes["Content-Type"] = content_type
    return attributes


def _written(key: str, size: int, etag: str | None, attributes: Attributes) -> ObjectInfo:
    return _from_parts(key, size, etag, datetime.now(UTC), attributes)


def _info(meta: ObjectMeta, attributes: Attributes) -> ObjectInfo:
    return _from_parts(meta["path"], meta["size"], meta["e_tag"], meta["last_modified"], attributes)


_STANDARD_ATTRIBUTES = frozenset(
    {"Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language"}
    | {"Cache-Control", "Storage-Class"}
)


def _from_parts(
    key: str, size: int, etag: str | None, modified: datetime, attributes: Attributes
) -> ObjectInfo:
    content_type = attributes.get("Content-Type")
    metadata = {k: v for k, v in attributes.items() if k not in _STANDARD_ATTRIBUTES}
    return ObjectInfo(
        key=key,
        size=size,
        etag=etag.strip('"') if etag else None,
        last_modified=modified,
        content_type=content_type,
        metadata=metadata,
    )


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
