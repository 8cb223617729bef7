"""The fixed registry of metrics an experiment may name as primary or guardrail.

Every metric is measured per *profile*, the unit of randomization. That matters
for the statistics: the tests in :mod:`experiments.stats` assume independent
observations, which holds across profiles but not across the many plays or
heartbeats of one profile. A per-play rate analysed with plays as the unit
understates the variance and inflates false positives, so the metrics consumer
must reduce events to one number per profile first.

- ``mean`` metrics: one real number per profile; compared with Welch's t-test.
- ``proportion`` metrics: one 0/1 outcome per profile; compared with the
  two-proportion z-test.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class MetricKind(StrEnum):
    MEAN = "mean"
    PROPORTION = "proportion"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    kind: MetricKind
    unit: str
    description: str
    # Guardrails read "worse" differently: more rebuffering is bad, more watch time is good.
    higher_is_better: bool


METRICS: Final = MappingProxyType(
    {
        metric.key: metric
        for metric in (
            Metric(
                "streaming_starts_per_profile",
                MetricKind.MEAN,
                "starts",
                "Playback starts per profile during the experiment.",
                higher_is_better=True,
            ),
            Metric(
                "watch_time_minutes",
                MetricKind.MEAN,
                "minutes",
                "Minutes watched per profile during the experiment.",
                higher_is_better=True,
            ),
            Metric(
                "completion_rate",
                MetricKind.PROPORTION,
                "share of profiles",
                "1 if the profile finished at least one title it started, else 0.",
                higher_is_better=True,
            ),
            Metric(
                # A ratio of durations, not a count of Bernoulli trials, so it is a per-profile
                # mean (rebuffering seconds / watched seconds) and never a z-test proportion.
                "rebuffer_ratio",
                MetricKind.MEAN,
                "ratio",
                "Per profile: seconds spent rebuffering divided by seconds watched.",
                higher_is_better=False,
            ),
            Metric(
                "time_to_first_frame_ms",
                MetricKind.MEAN,
                "ms",
                "Per profile: mean milliseconds from START to FIRST_FRAME.",
                higher_is_better=False,
            ),
        )
    }
)
"""Known metrics by key; the only names an experiment may use."""


def metric(key: str) -> Metric:
    """The registered metric *key*; ``KeyError`` if there is none."""
    return METRICS[key]
