"""Sliding-window rate limits in Redis: a sorted set of admitted requests per key.

Each admitted request is one member, scored by its time and naming its weight (a request
counts 1; a document's query cost counts its cost), so a window's use is the sum of the
weights inside it. One Lua script checks every window of a policy and records the request
in all of them, or in none: atomic across the web workers, on Redis's clock, one round trip
(one for a document's cost and its root fields together). Refused requests are not
recorded, so a client that keeps knocking is let in again as soon as its oldest admitted
request leaves the window, as ``Retry-After`` promises.

(The ``limits`` package's moving window stores one list entry per unit of cost, thousands
for one document, and opens a Redis client of its own; this is the same algorithm on the
connection every request already has.)
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from weakref import WeakKeyDictionary

from redis.asyncio import Redis

from datasources.group_commit import GroupCommit
from datasources.redis_scripts import script

# Several requests' takes in one round trip, each request's in order (a document's cost, then
# each of its root fields). KEYS: two per window, take after take: its sorted set and its
# running total. ARGV: nonce, the number of groups (one per request), then per group: its
# number of takes, and per take: weight, its number of windows, and window_ms and quota per
# window. Once a take is refused the rest of its group are not tried (their answer is -1
# alone), as a refused cost stops a document; other groups go on. Per tried take: admitted
# (0/1), then per window: used (after it), reset_ms (until its oldest request leaves),
# retry_ms (until this take would fit; 0 when it did).
#
# A window's use is its running total less what has left it since the last take, so an
# admitted take reads each request twice in all (as it enters, as it leaves) however full
# the window is: summing the whole set on every take made Redis the bottleneck of a busy
# account (a scaled quota of thousands a minute). Only a refusal walks the set, to say when
# the take would fit.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)

local function weight_of(member)
  return tonumber(string.match(member, '^%d+:(%d+):'))
end

-- The weight in the window now, once what has left it is dropped. The total is summed from
-- the set when it is missing (a set written before totals were kept) or cannot be right.
local function in_use(key, total_key, window)
  local gone = redis.call('ZRANGEBYSCORE', key, '-inf', now - window)
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window) end
  if redis.call('ZCARD', key) == 0 then
    redis.call('DEL', total_key)
    return 0
  end
  local total = tonumber(redis.call('GET', total_key))
  if total ~= nil and #gone == 0 then return total end
  if total ~= nil then
    for j = 1, #gone do total = total - weight_of(gone[j]) end
  end
  if total == nil or total < 0 then
    total = 0
    for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
      total = total + weight_of(member)
    end
  end
  redis.call('SET', total_key, total, 'KEEPTTL')
  if redis.call('PTTL', total_key) < 0 then redis.call('PEXPIRE', total_key, window) end
  return total
end

local answer = {}
local key_at, arg_at = 0, 2
for group = 1, tonumber(ARGV[2]) do
  local takes = tonumber(ARGV[arg_at + 1])
  arg_at = arg_at + 1
  local refused = false
  for take = 1, takes do
    local weight = tonumber(ARGV[arg_at + 1])
    local count = tonumber(ARGV[arg_at + 2])
    arg_at = arg_at + 2
    local keys, totals, windows, quotas = {}, {}, {}, {}
    for i = 1, count do
      keys[i] = KEYS[key_at + 2 * i - 1]
      totals[i] = KEYS[key_at + 2 * i]
      windows[i] = tonumber(ARGV[arg_at + 2 * i - 1])
      quotas[i] = tonumber(ARGV[arg_at + 2 * i])
    end
    key_at, arg_at = key_at + 2 * count, arg_at + 2 * count
    if refused then
      table.insert(answer, -1)
    else
      local member = now .. ':' .. weight .. ':' .. ARGV[1] .. ':' .. group .. ':' .. take
      local used = {}
      local admitted = 1
      for i = 1, count do
        used[i] = in_use(keys[i], totals[i], windows[i])
        if used[i] + weight > quotas[i] then admitted = 0 end
      end
      table.insert(answer, admitted)
      for i = 1, count do
        local retry = 0
        if used[i] + weight > quotas[i] then
          -- The oldest requests leave first: wait until enough weight has left for this one.
          retry = windows[i]
          local entries = redis.call('ZRANGE', keys[i], 0, -1, 'WITHSCORES')
          local freed = 0
          for j = 1, #entries, 2 do
            freed = freed + weight_of(entries[j])
            if used[i] - freed + weight <= quotas[i] then
              retry = tonumber(entries[j + 1]) + windows[i] - now
              break
            end
          end
        end
        if admitted == 1 then
          redis.call('ZADD', keys[i], now, member)
          redis.call('PEXPIRE', keys[i], windows[i])
          used[i] = used[i] + weight
          redis.call('SET', totals[i], used[i], 'PX', windows[i])
        end
        local reset = windows[i]
        local oldest = redis.call('ZRANGE', keys[i], 0, 0, 'WITHSCORES')
        if #oldest > 0 then reset = tonumber(oldest[2]) + windows[i] - now end
        table.insert(answer, used[i])
        table.insert(answer, reset)
        table.insert(answer, retry)
      end
      if admitted == 0 then refused = true end
    end
  end
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


@dataclass(frozen=True)
class Take:
    """``weight`` units for ``subject`` in every one of ``windows``."""

    windows: Sequence[Window]
    subject: str
    weight: int = 1


async def take_groups(
    redis: Redis, groups: Sequence[Sequence[Take]]
) -> list[list[Decision | None]]:
    """Each group's takes in order, every group in one round trip: a take is admitted if
    every window has room (recorded in all), else refused (recorded in none, with when it
    would fit); after a refusal the rest of its group are not tried (None)."""
    keys: list[str] = []
    args: list[int | str] = [secrets.token_hex(4), len(groups)]
    for takes in groups:
        args.append(len(takes))
        for one in takes:
            for window in one.windows:
                key = f"ratelimit:{window.name}:{window.seconds}s:{one.subject}"
                keys += [key, f"{key}:total"]
            args += [one.weight, len(one.windows)]
            for window in one.windows:
                args += [window.seconds * 1000, window.quota]
    answer = [int(v) for v in await script(redis, _TAKE)(keys=keys, args=args)]
    decided: list[list[Decision | None]] = []
    at = 0
    for takes in groups:
        decisions: list[Decision | None] = []
        for one in takes:
            if answer[at] == -1:
                decisions.append(None)
                at += 1
                continue
            decisions.append(_decision(one, answer[at : at + 1 + 3 * len(one.windows)]))
            at += 1 + 3 * len(one.windows)
        decided.append(decisions)
    return decided


def _decision(one: Take, answer: list[int]) -> Decision:
    """A tried take's answer: admitted, then (used, reset_ms, retry_ms) per window."""
    admitted = answer[0] == 1
    states = []
    retry_ms = 0
    for i, window in enumerate(one.windows):
        used, reset_ms, window_retry_ms = answer[1 + 3 * i : 4 + 3 * i]
        retry_ms = max(retry_ms, window_retry_ms)
        states.append(WindowState(window, max(0, window.quota - used), _seconds(reset_ms)))
    return Decision(admitted, 0 if admitted else _seconds(retry_ms), tuple(states))


async def take_all(redis: Redis, takes: Sequence[Take]) -> list[Decision | None]:
    """One request's takes in order, in one round trip shared with the other requests of
    this process asking at the same moment (``take_groups``, batched)."""
    batch = _batches.get(redis)
    if batch is None:
        batch = _batches[redis] = GroupCommit(partial(take_groups, redis), window_seconds=0)
    return await batch.submit(takes)


# One batch per client: each app (and each test's) has its own Redis client and event loop.
_batches: WeakKeyDictionary[Redis, GroupCommit[Sequence[Take], list[Decision | None]]] = (
    WeakKeyDictionary()
)


async def take(redis: Redis, windows: Sequence[Window], subject: str, weight: int = 1) -> Decision:
    """Admit ``weight`` units for ``subject`` if every window has room, recording them in
    all; otherwise record nothing and say when they would fit."""
    (decision,) = await take_all(redis, [Take(windows, subject, weight)])
    assert decision is not None  # the first take is always tried
    return decision


class RateLimiter:
    """One window under one name: ``hit`` counts an attempt of ``subject``."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._window = Window(name, limit, window_seconds)

    async def hit(self, subject: str) -> int:
        """Count one attempt; 0 when it is allowed, else the seconds until one will be."""
        decision = await take(self._redis, [self._window], subject)
        return decision.retry_after_seconds
