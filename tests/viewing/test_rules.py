"""The viewing rules on their own: what a title's standing is and which episode plays next."""

from __future__ import annotations

from datetime import UTC, datetime

from core.viewing_records import EpisodeSlot, TitleState, TitleStateKind
from viewing.rules import is_completed, up_next

EPISODES = [EpisodeSlot(11, 2700.0), EpisodeSlot(12, 2700.0), EpisodeSlot(21, 2700.0)]
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _standing(episode_id: int, state: TitleStateKind) -> TitleState:
    return TitleState(7, episode_id, 0.0, 2700.0, state, AT, "tv-1")


def test_a_series_not_started_plays_its_first_episode() -> None:
    assert up_next(None, EPISODES) == 11


def test_up_next_is_where_the_series_stands() -> None:
    assert up_next(_standing(12, TitleStateKind.IN_PROGRESS), EPISODES) == 12
    assert up_next(_standing(11, TitleStateKind.NOT_STARTED), EPISODES) == 11


def test_a_finished_series_has_nothing_up_next_until_a_new_episode_comes() -> None:
    assert up_next(_standing(21, TitleStateKind.COMPLETED), EPISODES) is None
    newer = [*EPISODES, EpisodeSlot(22, 2700.0)]
    assert up_next(_standing(21, TitleStateKind.COMPLETED), newer) == 22


def test_a_removed_episode_sends_the_series_back_to_its_start() -> None:
    assert up_next(_standing(99, TitleStateKind.IN_PROGRESS), EPISODES) == 11


def test_a_movie_has_no_episodes_and_nothing_up_next() -> None:
    assert up_next(None, []) is None
    assert up_next(_standing(0, TitleStateKind.IN_PROGRESS), []) is None


def test_completed_is_past_the_threshold() -> None:
    assert is_completed(0.96) and not is_completed(0.95) and not is_completed(0.5)
