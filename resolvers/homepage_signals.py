"""Telling the homepage that a profile's signals changed."""

from __future__ import annotations

import structlog

from datasources import homepage_cache
from resolvers.context import Context

log = structlog.get_logger("flix.signals")


async def signal_changed(ctx: Context) -> None:
    """A changed signal retires the profile's cached homepage; a cache outage is not fatal."""
    profile = ctx.viewer.require_profile()
    try:
        await homepage_cache.invalidate(ctx.redis, profile.id)
    except Exception as error:  # the cached page then simply lives out its five minutes
        log.warning("homepage cache invalidation failed", error=repr(error))
