"""How long Flix keeps each kind of data: the one retention table every store obeys.

Each rule says how long data stays *hot* (in the store that serves it) and, for data that is
archived, how long it then stays *cold* (Parquet on the object store). Stores that expire
data themselves take their TTLs from here at write time (Redis sessions, Cassandra's
``USING TTL``, the event log's ``max_age``); the nightly jobs (``lifecycle.retention``,
``lifecycle.archiver``) enforce the rest. It lives in ``core`` because every layer reads it,
the event log's configuration (``datasources.events.contract.RETENTION``) included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

DAY = timedelta(days=1)
YEAR = timedelta(days=365)


class Data(StrEnum):
    """The kinds of data the table covers."""

    # Per-episode progress rows once the episode is completed: Continue Watching needs them
    # only for a while (to offer the next episode), then they go.
    COMPLETED_PROGRESS = "completed-progress"
    # Each title's standing while not completed, and per-episode progress in general.
    WATCH_HISTORY = "watch-history"
    # A title's standing once completed (what "watched" rows and recommendations read).
    COMPLETED_VIEWS = "completed-views"
    PLAYBACK_EVENTS = "playback-events"
    # A profile's per-experiment row (allocation and its metrics), counted from the stop.
    EXPERIMENT_ALLOCATIONS = "experiment-allocations"
    SESSIONS = "sessions"
    AUDIT_LOG = "audit-log"
    # Streams that are never archived: the log keeps them for replay, then drops them.
    VIEWING_EVENTS = "viewing-events"
    EXPOSURE_EVENTS = "exposure-events"


@dataclass(frozen=True)
class Rule:
    hot: timedelta
    cold: timedelta = timedelta(0)  # zero: never archived, gone after ``hot``
    where: str = ""  # who enforces it, for the docs and `flix jobs`

    @property
    def archived(self) -> bool:
        return self.cold > timedelta(0)


RETENTION: dict[Data, Rule] = {
    Data.COMPLETED_PROGRESS: Rule(
        90 * DAY, where="Cassandra TTL at write; nightly delete on PostgreSQL"
    ),
    Data.WATCH_HISTORY: Rule(
        2 * YEAR, where="Cassandra TTL at write; nightly delete on PostgreSQL"
    ),
    Data.COMPLETED_VIEWS: Rule(
        5 * YEAR, where="Cassandra TTL at write; nightly delete on PostgreSQL"
    ),
    Data.PLAYBACK_EVENTS: Rule(90 * DAY, 2 * YEAR, where="nightly archive of PLAYBACK to S3"),
    # Counted after the experiment stops: its duration plus 30 days.
    Data.EXPERIMENT_ALLOCATIONS: Rule(30 * DAY, where="nightly delete on PostgreSQL"),
    Data.SESSIONS: Rule(30 * DAY, where="Redis TTL at write (sliding)"),
    # Hot only long enough for the nightly archive to take it; kept cold for 7 years.
    Data.AUDIT_LOG: Rule(30 * DAY, 7 * YEAR, where="nightly archive of AUDIT to S3"),
    Data.VIEWING_EVENTS: Rule(90 * DAY, where="event log max_age"),
    Data.EXPOSURE_EVENTS: Rule(180 * DAY, where="event log max_age"),
}

# How long the event log keeps an archived stream past its hot window: the nightly archive
# has this long to take it (missed nights, an outage) before the broker drops it unarchived.
ARCHIVE_GRACE = 14 * DAY
