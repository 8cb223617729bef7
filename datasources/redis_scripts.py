"""Lua scripts on Redis: one ``Script`` per client and source, made on first use.

A ``Script`` sends its SHA (EVALSHA) and the source only when the server does not know it
(a restarted or flushed Redis answers NOSCRIPT); making one costs a SHA-1 of the source,
which the hot paths (a session read and a rate-limit take on every request) should not pay
per call. redis-py's own ``AsyncScript`` asks ``isinstance(client, Pipeline)`` on every
call, a structural check against a Protocol that cost 6% of a whole catalog read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from redis.asyncio import Redis
from redis.exceptions import NoScriptError


class Script:
    def __init__(self, redis: Redis, source: str) -> None:
        self._redis = redis
        self._source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(
        self, keys: Sequence[str] = (), args: Sequence[str | int | float] = ()
    ) -> Any:
        try:
            return await self._redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            self.sha = await self._redis.script_load(self._source)
            return await self._redis.evalsha(self.sha, len(keys), *keys, *args)


# By client: each app (and each test's) has its own, on its own event loop.
_scripts: WeakKeyDictionary[Redis, dict[str, Script]] = WeakKeyDictionary()


def script(redis: Redis, source: str) -> Script:
    made = _scripts.setdefault(redis, {})
    found = made.get(source)
    if found is None:
        found = made[source] = Script(redis, source)
    return found
