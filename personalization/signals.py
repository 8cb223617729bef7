"""What a profile's behaviour says about a title: the confidences the embeddings learn from.

Every signal is implicit feedback of a different strength. One number per (profile, title)
sums them up, following Hu, Koren and Volinsky's implicit-feedback ALS: a positive
confidence says "wants this, this sure", a negative one "does not want this, this sure"
(``implicit`` reads a negative value exactly so), and absence says nothing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from core.viewing_records import STARTED_FROM

P = TypeVar("P", bound=Hashable)

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Feedback(Generic[P]):
    """Everything one profile did with one title."""

    profile_id: P
    video_id: int
    # How much was watched, in titles' worth: a movie's fraction, or a series' episodes
    # (each counted up to 1), so 3.5 means three and a half episodes.
    watched: float = 0.0
    completed: bool = False
    rating: int = 0  # +1 thumbs up, -1 thumbs down, 0 none
    in_my_list: bool = False
    at: datetime | None = None  # the newest of these signals


@dataclass(frozen=True, slots=True)
class SignalWeights:
    """How much each signal counts. Completing a title is the strongest evidence of taste;
    a thumbs up is said, not done, so it counts a little less; a my-list add is intent."""

    completed: float = 4.0
    started: float = 1.0  # got past the opening minutes (the viewing rules' threshold)
    watched: float = 2.0  # added per title's worth watched, up to one title
    more_episodes: float = 1.0  # times log1p(episodes past the first): bingeing, damped
    my_list: float = 2.0
    thumbs_up: float = 3.0
    # A thumbs down overrides the rest: the profile watched it and told us it was a miss.
    thumbs_down: float = 3.0
    # Tastes drift: a signal this many days older than the profile's newest counts half.
    # Relative to the profile's own newest signal, so a profile back after a year away
    # keeps its history. None turns decay off.
    half_life_days: float | None = 60.0


DEFAULT_SIGNAL_WEIGHTS = SignalWeights()


@dataclass(frozen=True, slots=True)
class Preference(Generic[P]):
    """One cell of the matrix ALS factorizes: > 0 wants it, < 0 does not; |value| is trust."""

    profile_id: P
    video_id: int
    confidence: float


def confidence(feedback: Feedback[P], weights: SignalWeights = DEFAULT_SIGNAL_WEIGHTS) -> float:
    """The undecayed confidence of one profile's feedback on one title (0: no evidence)."""
    if feedback.rating < 0:
        return -weights.thumbs_down
    value = 0.0
    if feedback.completed:
        value += weights.completed
    elif feedback.watched >= STARTED_FROM:
        value += weights.started + weights.watched * min(1.0, feedback.watched)
    if feedback.watched > 1.0:
        value += weights.more_episodes * math.log1p(feedback.watched - 1.0)
    if feedback.in_my_list:
        value += weights.my_list
    if feedback.rating > 0:
        value += weights.thumbs_up
    return value


def preferences(
    feedback: Iterable[Feedback[P]], weights: SignalWeights = DEFAULT_SIGNAL_WEIGHTS
) -> list[Preference[P]]:
    """Confidences for every piece of feedback that says something, decayed by age."""
    items = list(feedback)
    newest: dict[P, datetime] = {}
    for item in items:
        if item.at is not None and (
            item.profile_id not in newest or item.at > newest[item.profile_id]
        ):
            newest[item.profile_id] = item.at
    result: list[Preference[P]] = []
    for item in items:
        value = confidence(item, weights) * _decay(item, newest.get(item.profile_id), weights)
        if value != 0.0:
            result.append(Preference(item.profile_id, item.video_id, value))
    return result


def _decay(item: Feedback[P], newest: datetime | None, weights: SignalWeights) -> float:
    if weights.half_life_days is None or item.at is None or newest is None:
        return 1.0
    days = (newest - item.at).total_seconds() / SECONDS_PER_DAY
    return float(0.5 ** (days / weights.half_life_days))
