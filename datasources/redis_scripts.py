"""Lua scripts on Redis: one ``Script`` per client and source, made on first use.

A ``Script`` sends its SHA (EVALSHA) and the source only once per server; making one costs a
SHA-1 of the source and a registration, which the hot paths (a session read and a rate-limit
take on every request) should not pay per call.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

# By client: each app (and each test's) has its own, on its own event loop.
_scripts: WeakKeyDictionary[Redis, dict[str, AsyncScript]] = WeakKeyDictionary()


def script(redis: Redis, source: str) -> AsyncScript:
    made = _scripts.setdefault(redis, {})
    found = made.get(source)
    if found is None:
        found = made[source] = redis.register_script(source)
    return found
