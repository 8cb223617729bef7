"""The seed's rate-limit table: what each category of request may do per account (per IP
when signed out), and what the limiter does when Redis cannot answer.

Every category has a sustained quota and a burst. The sliding window holds the quota; the
burst is a second, shorter window of ``burst`` requests over the time the sustained rate
takes to earn them back (browse: 30 requests in 18 s, within 100 in 60 s). A client may
spend a burst at once (a homepage load, a page of search-as-you-type) and then goes at
the sustained rate; what it may not do is spend a minute's quota in one second.
``schema/rate_categories.py`` says which category each GraphQL field belongs to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from auth.rate_limit import Window


class Category(StrEnum):
    BROWSE = "browse"  # browsing and search: every read that is not one of the below
    PLAYBACK_START = "playback-start"
    PROFILE_UPDATES = "profile-updates"  # profiles, My List, ratings
    PROGRESS = "progress"  # progress reports and playback telemetry
    ADMIN = "admin"  # catalog and experiment administration
    AUTH = "auth"  # sign-in attempts


@dataclass(frozen=True)
class Policy:
    name: str
    quota: int
    window_seconds: int
    burst: int

    def __post_init__(self) -> None:
        if not 1 <= self.burst <= self.quota or self.window_seconds < 1:
            raise ValueError(f"rate policy {self.name}: need 1 <= burst <= quota, window >= 1 s")

    @property
    def windows(self) -> tuple[Window, ...]:
        sustained = Window(self.name, self.quota, self.window_seconds)
        if self.burst == self.quota:  # the whole quota may go at once: one window says it
            return (sustained,)
        burst_seconds = math.ceil(self.window_seconds * self.burst / self.quota)
        return sustained, Window(f"{self.name}-burst", self.burst, burst_seconds)

    def scaled(self, factor: float) -> Policy:
        """The same windows with quota and burst multiplied (never below 1)."""
        quota = max(1, math.ceil(self.quota * factor))
        return replace(self, quota=quota, burst=min(quota, max(1, math.ceil(self.burst * factor))))


SEED_POLICIES: dict[Category, Policy] = {
    Category.BROWSE: Policy("browse", quota=100, window_seconds=60, burst=30),
    Category.PLAYBACK_START: Policy("playback-start", quota=30, window_seconds=60, burst=10),
    Category.PROFILE_UPDATES: Policy("profile-updates", quota=20, window_seconds=60, burst=10),
    # A player reports progress and telemetry every 10 s each: 12 a minute per stream, so
    # 60 carries the plan's 4 streams with room; 15 at once covers a reconnect's flush.
    Category.PROGRESS: Policy("progress", quota=60, window_seconds=60, burst=15),
    Category.ADMIN: Policy("admin", quota=200, window_seconds=60, burst=50),
    # Already small: spacing 5 attempts out further would only slow a person who mistyped.
    Category.AUTH: Policy("auth", quota=5, window_seconds=300, burst=5),
}

# Query cost points per minute per account (per IP signed out), charged before execution.
# The web client's homepage costs about 500 points and the largest document allowed 5,000:
# this is some 100 homepages a minute (browse's quota), or 10 of the costliest documents.
QUERY_COST_PER_MINUTE = 50_000

# With Redis unreachable the limiter cannot count. Where being blind lets an attacker guess
# passwords, it refuses (UNAVAILABLE); everywhere else it lets requests through, since a
# throttle that takes the site down with Redis protects nothing.
FAILS_CLOSED = frozenset({Category.AUTH})
