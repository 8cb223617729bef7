"""The object store contract: whole objects under string keys in one bucket.

Archives, backups and (optionally) media live here. Writes are atomic, as S3's are: an object
is either whole at its key or absent, never partly written. Every call raises only the
errors below (core/errors.py codes), never a client library's own exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from core.errors import FlixError, NotFound, Unavailable

__all__ = [
    "SHA256_METADATA",
    "ObjectInfo",
    "ObjectMissing",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreUnavailable",
    "ObjectStream",
    "Progress",
]

# The user-metadata field every put records the content's SHA-256 (hex) in. A reader that
# needs a checksum that outlives the server (rclone keeps user metadata in memory only)
# keeps it in a manifest object of its own as well.
SHA256_METADATA = "sha256"

# Called with the bytes sent so far while a file is uploaded or downloaded.
Progress = Callable[[int], None]


class ObjectMissing(NotFound):
    """No object at the key."""


class ObjectStoreUnavailable(Unavailable):
    """The object store did not answer (down, refused, timed out): retry later."""


class ObjectStoreError(FlixError):
    """The object store refused the request: credentials, permissions, a missing bucket or a
    key it does not accept. Nothing to retry: the configuration or the key is wrong."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str | None
    last_modified: datetime
    content_type: str | None = None
    # User metadata given at put (with ``sha256``); empty from ``list``, which S3 never
    # returns metadata from.
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        return self.metadata.get(SHA256_METADATA)


@dataclass(frozen=True)
class ObjectStream:
    """An object being read: what it is (known before its first byte), then its bytes."""

    info: ObjectInfo
    # The content in chunks of bounded size; a store lost mid-way raises
    # ObjectStoreUnavailable from the iterator.
    chunks: AsyncIterator[bytes]


class ObjectStore(Protocol):
    """One bucket. Keys are ``/``-separated paths without a leading or trailing ``/``."""

    @property
    def bucket(self) -> str: ...

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Store data at key (replacing what is there), recording its SHA-256."""
        ...

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        """Stream a local file to key in parts (any size, bounded memory); atomic like put."""
        ...

    async def get(self, key: str) -> bytes:
        """The whole object; ObjectMissing when there is none."""
        ...

    async def download(self, key: str, path: Path, *, progress: Progress | None = None) -> int:
        """Stream the object into a local file (bounded memory); returns its size."""
        ...

    async def open(self, key: str) -> ObjectStream:
        """Start reading the object (one GET): its size and type at once, then its bytes as
        they arrive (bounded memory, e.g. to proxy it); ObjectMissing when there is none."""
        ...

    async def head(self, key: str) -> ObjectInfo | None:
        """Size, etag and metadata of the object at key, or None when there is none."""
        ...

    async def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object under the folder ``prefix`` (whole path segments: "backups/postgres"
        lists "backups/postgres/a.dump", never "backups/postgresql/..."), all pages, sorted
        by key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; removing an absent one is not an error."""
        ...

    async def presigned_get_url(self, key: str, expires_seconds: int) -> str:
        """A URL anyone may GET the object from until it expires (no credentials needed)."""
        ...

    async def ready(self) -> bool:
        """Whether the bucket answers right now (/readyz)."""
        ...
