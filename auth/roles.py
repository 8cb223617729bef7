"""Roles: stored ones (owner and staff) plus the viewer role the active profile implies."""

from __future__ import annotations

from enum import StrEnum

from core.records import Profile


class Role(StrEnum):
    ACCOUNT_OWNER = "account_owner"
    VIEWER = "viewer"
    KIDS_VIEWER = "kids_viewer"
    ADMIN = "admin"
    CONTENT_ADMIN = "content_admin"
    EXPERIMENT_ADMIN = "experiment_admin"


STAFF_ROLES = frozenset({Role.ADMIN, Role.CONTENT_ADMIN, Role.EXPERIMENT_ADMIN})


def effective_roles(stored: set[str], profile: Profile | None) -> frozenset[str]:
    """While a kids profile is active the account is only a kids viewer: no owner, no staff."""
    if profile is not None and profile.is_kids:
        return frozenset({Role.KIDS_VIEWER})
    roles = set(stored)
    if profile is not None:
        roles.add(Role.VIEWER)
    return frozenset(roles)
