"""What every resolver gets: the stores, this request's loaders and the viewer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.rate_limit import RateLimiter
from auth.sessions import SessionStore
from auth.throttle import Throttle
from auth.viewer import Viewer
from core.known_markers import KnownMarkers
from datasources.catalog_snapshot import CatalogSnapshots
from datasources.events import EventLog
from datasources.experiments import RunningExperiments
from datasources.loaders import Loaders
from datasources.viewing.store import ViewingStore
from media.delivery import MediaKeys
from personalization.homepage import Personalizer


@dataclass(frozen=True)
class RegistrationLimits:
    per_email: RateLimiter
    per_ip: RateLimiter


@dataclass
class Context:
    engine: AsyncEngine
    redis: Redis
    viewing: ViewingStore
    events: EventLog
    catalog: CatalogSnapshots
    personalizer: Personalizer
    experiments: RunningExperiments
    logged_exposures: KnownMarkers  # the process's, shared by its requests
    # What the client says it is (X-Device-Type: web, tv, mobile): experiments target it.
    device_type: str
    media: MediaKeys
    loaders: Loaders
    sessions: SessionStore
    # The seed's rate limits and the query-cost budget, for this request's account or IP.
    rate_limits: Throttle
    registration_limits: RegistrationLimits
    viewer: Viewer
    request_id: str
    client_ip: str
    # Called with a token to set the session cookie, with None to clear it.
    set_session_cookie: Callable[[str | None], None]
    # Experiment key -> the variant config this request applies (None: not in it).
    treatments: dict[str, Mapping[str, Any] | None] = field(default_factory=dict)
    # Treatments being looked up: the fields that ask while one is (a page's every poster
    # at once) wait for that lookup instead of each making their own.
    treatment_lookups: dict[str, asyncio.Task[Mapping[str, Any] | None]] = field(
        default_factory=dict
    )
    # Where each homepage this request built came from (PageSource): a degraded one (the
    # last good page, the generic page) is not kept as a finished body.
    homepage_sources: list[str] = field(default_factory=list)
