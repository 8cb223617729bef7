"""Which rate-limit category (auth/rate_policies.py) every root field counts against.

One table for the whole API, so a reviewer sees every limit at a glance; each root field
resolved counts once, every alias of it too (``schema/rate_limits.py``). Nested fields
count towards the query cost instead (``schema/cost.py``). A root field missing here
counts as ``DEFAULT`` (``tests/security/test_rate_limits.py`` fails until it is listed).
"""

from __future__ import annotations

from auth.rate_policies import Category

BROWSE = Category.BROWSE
PLAYBACK_START = Category.PLAYBACK_START
PROFILE_UPDATES = Category.PROFILE_UPDATES
PROGRESS = Category.PROGRESS
ADMIN = Category.ADMIN
AUTH = Category.AUTH

FIELD_CATEGORIES: dict[str, Category] = {
    # Reads.
    "Query.me": BROWSE,
    "Query.profile": BROWSE,
    "Query.video": BROWSE,
    "Query.videos": BROWSE,
    "Query.search": BROWSE,
    "Query.genres": BROWSE,
    "Query.continueWatching": BROWSE,
    "Query.viewingHistory": BROWSE,
    "Query.homepage": BROWSE,
    "Query.myList": BROWSE,
    "Query.assignments": BROWSE,
    "Query.playback": PLAYBACK_START,
    "Query.experiments": ADMIN,
    "Query.experiment": ADMIN,
    "Query.experimentResults": ADMIN,
    # Identity. Sign-up has a throttle of its own, per IP and per email (resolvers/identity.py):
    # counted as auth, a registration would use up the attempts its owner has to sign in.
    "Mutation.login": AUTH,
    "Mutation.register": BROWSE,
    "Mutation.logout": BROWSE,
    "Mutation.deleteAccount": AUTH,
    # Profiles, and what a profile keeps: My List, ratings, hidden titles.
    "Mutation.createProfile": PROFILE_UPDATES,
    "Mutation.updateProfile": PROFILE_UPDATES,
    "Mutation.deleteProfile": PROFILE_UPDATES,
    "Mutation.selectProfile": PROFILE_UPDATES,
    "Mutation.addToMyList": PROFILE_UPDATES,
    "Mutation.removeFromMyList": PROFILE_UPDATES,
    "Mutation.rateTitle": PROFILE_UPDATES,
    "Mutation.hideFromContinueWatching": PROFILE_UPDATES,
    "Mutation.setProfileLock": PROFILE_UPDATES,
    # It checks the account password: as open to guessing as signing in.
    "Mutation.removeProfileLock": AUTH,
    # Watching.
    "Mutation.updateProgress": PROGRESS,
    "Mutation.reportPlaybackEvents": PROGRESS,
    # Staff.
    "Mutation.createVideo": ADMIN,
    "Mutation.updateVideo": ADMIN,
    "Mutation.deleteVideo": ADMIN,
    "Mutation.createExperiment": ADMIN,
    "Mutation.updateExperiment": ADMIN,
    "Mutation.startExperiment": ADMIN,
    "Mutation.stopExperiment": ADMIN,
    "Mutation.newExperimentPhase": ADMIN,
}

DEFAULT = BROWSE


def category_of(type_name: str, field_name: str) -> Category:
    return FIELD_CATEGORIES.get(f"{type_name}.{field_name}", DEFAULT)
