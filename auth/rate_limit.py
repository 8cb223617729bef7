"""Sliding-window rate limits in Redis: a sorted set of admitted requests per key.

Each admitted request is one member, scored by its time and naming its weight (a request
counts 1; a document's query cost counts its cost), so a window's use is the sum of the
weights inside it. One Lua script checks every window of a policy and records the request
in all of them, or in none: atomic across the web workers, on Redis's clock, one round
trip. Refused requests are not recorded, so a client that keeps knocking is let in again
as soon as its oldest admitted request leaves the window, as ``Retry-After`` promises.

(The ``limits`` package's moving window stores one list entry per unit of cost, thousands
for one document, and opens a Redis client of its own; this is the same algorithm on the
connection every request already has.)
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

# KEYS: one sorted set per window. ARGV: weight, nonce, then window_ms and quota per key.
# Returns admitted (0/1), then per window: used (after this request), reset_ms (until its
# oldest request leaves), retry_ms (until this request would fit; 0 when it did).
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local weight = tonumber(ARGV[1])
local member = now .. ':' .. weight .. ':' .. ARGV[2]
local used, entries, windows, quotas = {}, {}, {}, {}
local admitted = 1
for i = 1, #KEYS do
  windows[i] = tonumber(ARGV[1 + 2 * i])
  quotas[i] = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - windows[i])
  entries[i] = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local sum = 0
  for j = 1, #entries[i], 2 do
    sum = sum + tonumber(string.match(entries[i][j], '^%d+:(%d+):'))
  end
  used[i] = sum
  if sum + weight > quotas[i] then admitted = 0 end
end
local answer = {admitted}
for i = 1, #KEYS do
  local retry = 0
  if used[i] + weight > quotas[i] then
    -- The oldest requests leave first: wait until enough weight has left for this one.
    retry = windows[i]
    local freed = 0
    for j = 1, #entries[i], 2 do
      freed = freed + tonumber(string.match(entries[i][j], '^%d+:(%d+):'))
      if used[i] - freed + weight <= quotas[i] then
        retry = tonumber(entries[i][j + 1]) + windows[i] - now
        break
      end
    end
  end
  if admitted == 1 then
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], windows[i])
    used[i] = used[i] + weight
  end
  local reset = windows[i]
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if #oldest > 0 then reset = tonumber(oldest[2]) + windows[i] - now end
  table.insert(answer, used[i])
  table.insert(answer, reset)
  table.insert(answer, retry)
end
return answer
"""


@dataclass(frozen=True)
class Window:
    """At most ``quota`` units in any ``seconds``; ``name`` identifies it to clients (the
    ``RateLimit-Policy`` header's policy name)."""

    name: str
    quota: int
    seconds: int


@dataclass(frozen=True)
class WindowState:
    window: Window
    remaining: int
    reset_seconds: int  # until the oldest request in it leaves and quota comes back


@dataclass(frozen=True)
class Decision:
    admitted: bool
    retry_after_seconds: int  # 0 when admitted
    windows: tuple[WindowState, ...]


def _seconds(milliseconds: int) -> int:
    return max(1, math.ceil(milliseconds / 1000))


async def take(redis: Redis, windows: Sequence[Window], subject: str, weight: int = 1) -> Decision:
    """Admit ``weight`` units for ``subject`` if every window has room, recording them in
    all; otherwise record nothing and say when they would fit."""
    keys = [f"ratelimit:{w.name}:{w.seconds}s:{subject}" for w in windows]
    args: list[int | str] = [weight, secrets.token_hex(4)]
    for window in windows:
        args += [window.seconds * 1000, window.quota]
    # A Script sends the script's SHA (EVALSHA) and the script itself only once per server.
    answer = await redis.register_script(_TAKE)(keys=keys, args=args)
    admitted = answer[0] == 1
    states = []
    retry_ms = 0
    for i, window in enumerate(windows):
        used, reset_ms, window_retry_ms = (int(v) for v in answer[1 + 3 * i : 4 + 3 * i])
        retry_ms = max(retry_ms, window_retry_ms)
        states.append(WindowState(window, max(0, window.quota - used), _seconds(reset_ms)))
    return Decision(admitted, 0 if admitted else _seconds(retry_ms), tuple(states))


class RateLimiter:
    """One window under one name: ``hit`` counts an attempt of ``subject``."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._window = Window(name, limit, window_seconds)

    async def hit(self, subject: str) -> int:
        """Count one attempt; 0 when it is allowed, else the seconds until one will be."""
        decision = await take(self._redis, [self._window], subject)
        return decision.retry_after_seconds
