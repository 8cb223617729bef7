"""Persisted queries: GraphQL documents kept in Redis under their SHA-256, so that a client
sends the 64-character hash instead of the document (Apollo's automatic persisted queries)
and, in allowlist mode, only documents registered ahead of time run at all.

Plain Python: how requests name a hash and what the refusals look like on the wire is the
HTTP side's business (``server/persisted_queries.py``). Two key spaces, so that switching a
server from ``apq`` to ``allowlist`` never lets in what clients registered themselves:

- ``pq:allow:<sha256>``: registered ahead (``flix persisted register``); runs in every mode.
- ``pq:apq:<sha256>``: registered by a client sending the document with its hash (apq mode).

Neither expires: a document is a few kilobytes at most (the body and token limits bound it)
and the set a client can create is bounded by what it can send.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum

from redis.asyncio import Redis

ALLOWLIST_PREFIX = "pq:allow:"
APQ_PREFIX = "pq:apq:"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Mode(StrEnum):
    """``FLIX_PERSISTED_QUERIES``: what a request's ``extensions.persistedQuery`` may do."""

    APQ = "apq"  # hash-only requests, and clients register documents by sending them
    ALLOWLIST = "allowlist"  # only documents registered ahead run, by hash or in full
    OFF = "off"  # documents in full only; a hash gets PERSISTED_QUERY_NOT_SUPPORTED


def document_hash(document: str) -> str:
    """The hash clients compute: SHA-256 of the document's UTF-8 text, lower-case hex."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def valid_hash(value: object) -> bool:
    return isinstance(value, str) and _SHA256_HEX.match(value) is not None


class PersistedQueryStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def find(self, sha256: str, *, registered_by_clients: bool) -> str | None:
        """The document with this hash: an allowlisted one, or (``registered_by_clients``,
        apq mode) one a client registered."""
        keys = [ALLOWLIST_PREFIX + sha256]
        if registered_by_clients:
            keys.append(APQ_PREFIX + sha256)
        for found in await self.redis.mget(keys):
            if found is not None:
                return str(found)
        return None

    async def is_allowed(self, sha256: str) -> bool:
        return bool(await self.redis.exists(ALLOWLIST_PREFIX + sha256))

    async def register_from_client(self, document: str) -> None:
        """Keep a document a client sent with its (checked) hash."""
        await self.redis.set(APQ_PREFIX + document_hash(document), document)

    async def allow(self, documents: Iterable[str]) -> list[str]:
        """Register documents ahead (the allowlist); their hashes, in order."""
        hashes: list[str] = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for document in documents:
                sha256 = document_hash(document)
                hashes.append(sha256)
                pipe.set(ALLOWLIST_PREFIX + sha256, document)
            await pipe.execute()
        return hashes
