"""Targeting: which profiles are eligible for an experiment at all.

Targeting runs before any hashing, and the hashes never depend on it, so a
profile that is eligible on two devices lands in the same variant on both.
An empty set in a rule means "any"; a rule that needs an attribute the caller
does not know (``None``) does not match, because guessing would leak a
treatment to the wrong population.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from core.plans import Plan

PLANS: Final = frozenset(Plan)
"""The account plans (``accounts.plan``)."""

_COUNTRY: Final = re.compile(r"^[A-Z]{2}$")
_DEVICE_TYPE: Final = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True, slots=True)
class TargetingAttributes:
    """What the request knows about the profile being allocated."""

    country: str | None = None
    device_type: str | None = None
    plan: str | None = None
    kids: bool | None = None
    account_age_days: int | None = None


@dataclass(frozen=True, slots=True)
class TargetingRules:
    """Who may enter an experiment. The default matches everyone.

    ``countries`` are ISO 3166-1 alpha-2 codes (``"US"``), ``device_types`` are
    lower-case tokens (``"tv"``, ``"web"``), ``plans`` are from :data:`PLANS`;
    ``kids`` ``None`` admits both kinds of profile; account-age bounds are
    inclusive days.
    """

    countries: frozenset[str] = field(default_factory=frozenset)
    device_types: frozenset[str] = field(default_factory=frozenset)
    plans: frozenset[str] = field(default_factory=frozenset)
    kids: bool | None = None
    min_account_age_days: int | None = None
    max_account_age_days: int | None = None

    @classmethod
    def of(
        cls,
        *,
        countries: Iterable[str] = (),
        device_types: Iterable[str] = (),
        plans: Iterable[str] = (),
        kids: bool | None = None,
        min_account_age_days: int | None = None,
        max_account_age_days: int | None = None,
    ) -> TargetingRules:
        """Build rules from any iterables (say, decoded JSON lists)."""
        return cls(
            frozenset(countries),
            frozenset(device_types),
            frozenset(plans),
            kids,
            min_account_age_days,
            max_account_age_days,
        )

    def problems(self) -> list[str]:
        """What is wrong with these rules, as messages for the user; empty when valid."""
        found: list[str] = []
        found += [
            f"unknown country code {c!r}" for c in sorted(self.countries) if not _COUNTRY.match(c)
        ]
        found += [
            f"bad device type {d!r} (lower-case letters, digits, '_' or '-')"
            for d in sorted(self.device_types)
            if not _DEVICE_TYPE.match(d)
        ]
        found += [f"unknown plan {p!r}" for p in sorted(self.plans - PLANS)]
        low, high = self.min_account_age_days, self.max_account_age_days
        if low is not None and low < 0:
            found.append("min_account_age_days must not be negative")
        if high is not None and high < 0:
            found.append("max_account_age_days must not be negative")
        if low is not None and high is not None and low > high:
            found.append("min_account_age_days is above max_account_age_days")
        return found


def matches(rules: TargetingRules, attributes: TargetingAttributes) -> bool:
    """Whether a profile with *attributes* is eligible under *rules*."""
    if rules.countries and attributes.country not in rules.countries:
        return False
    if rules.device_types and attributes.device_type not in rules.device_types:
        return False
    if rules.plans and attributes.plan not in rules.plans:
        return False
    if rules.kids is not None and attributes.kids is not rules.kids:
        return False
    age = attributes.account_age_days
    if rules.min_account_age_days is not None and (age is None or age < rules.min_account_age_days):
        return False
    return not (
        rules.max_account_age_days is not None and (age is None or age > rules.max_account_age_days)
    )
