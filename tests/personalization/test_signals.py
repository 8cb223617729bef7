"""Confidences: what each signal is worth, thumbs down, and decay with age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from personalization.signals import Feedback, SignalWeights, confidence, preferences

T0 = datetime(2026, 5, 1, tzinfo=UTC)
W = SignalWeights()


def _feedback(
    watched: float = 0.0, completed: bool = False, rating: int = 0, in_my_list: bool = False
) -> Feedback[str]:
    return Feedback("p", 1, watched, completed, rating, in_my_list)


def test_stronger_signals_weigh_more() -> None:
    glimpse = confidence(_feedback(watched=0.01))
    started = confidence(_feedback(watched=0.2))
    most = confidence(_feedback(watched=0.9))
    completed = confidence(_feedback(watched=1.0, completed=True))
    assert glimpse == 0.0  # the opening minutes say nothing
    assert 0.0 < started < most < completed == W.completed


def test_signals_add_up() -> None:
    everything = confidence(_feedback(watched=1.0, completed=True, rating=1, in_my_list=True))
    assert everything == W.completed + W.thumbs_up + W.my_list
    assert confidence(_feedback(in_my_list=True)) == W.my_list
    assert confidence(_feedback(rating=1)) == W.thumbs_up


def test_bingeing_a_series_counts_more_but_damped() -> None:
    one = confidence(_feedback(watched=1.0, completed=True))
    five = confidence(_feedback(watched=5.0, completed=True))
    nine = confidence(_feedback(watched=9.0, completed=True))
    assert one < five < nine
    assert nine - five < five - one


def test_thumbs_down_overrides_watching() -> None:
    assert confidence(_feedback(watched=1.0, completed=True, rating=-1)) == -W.thumbs_down


def test_preferences_skip_feedback_that_says_nothing() -> None:
    items = [Feedback("p", 1, watched=0.01), Feedback("p", 2, in_my_list=True)]
    assert [(p.video_id, p.confidence) for p in preferences(items)] == [(2, W.my_list)]


def test_older_signals_decay_relative_to_the_profiles_newest() -> None:
    half_life = W.half_life_days
    assert half_life is not None
    items = [
        Feedback("p", 1, in_my_list=True, at=T0),
        Feedback("p", 2, in_my_list=True, at=T0 - timedelta(days=half_life)),
        # Another profile, away for a year: its newest signal still counts in full.
        Feedback("q", 1, in_my_list=True, at=T0 - timedelta(days=365)),
    ]
    values = {(p.profile_id, p.video_id): p.confidence for p in preferences(items)}
    assert values[("p", 1)] == pytest.approx(W.my_list)
    assert values[("p", 2)] == pytest.approx(W.my_list / 2)
    assert values[("q", 1)] == pytest.approx(W.my_list)


def test_decay_can_be_turned_off() -> None:
    items = [
        Feedback("p", 1, in_my_list=True, at=T0),
        Feedback("p", 2, in_my_list=True, at=T0 - timedelta(days=1000)),
    ]
    values = [p.confidence for p in preferences(items, SignalWeights(half_life_days=None))]
    assert values == [W.my_list, W.my_list]
