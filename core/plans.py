"""The account plans, and the picture height each one pays for."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Plan(StrEnum):
    """An account's plan (``accounts.plan``; GraphQL's ``Plan``)."""

    BASIC = "BASIC"
    STANDARD = "STANDARD"
    PREMIUM = "PREMIUM"

    @property
    def max_height(self) -> int:
        """The tallest rendition playback offers on this plan."""
        return MAX_HEIGHT[self]


MAX_HEIGHT: Final[Mapping[Plan, int]] = MappingProxyType(
    {Plan.BASIC: 720, Plan.STANDARD: 1080, Plan.PREMIUM: 2160}
)
