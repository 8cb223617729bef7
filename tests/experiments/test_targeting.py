"""Targeting rules."""

from __future__ import annotations

import pytest

from experiments.targeting import TargetingAttributes, TargetingRules, matches

ADULT_US_TV = TargetingAttributes(
    country="US", device_type="tv", plan="PREMIUM", kids=False, account_age_days=40
)


def test_no_rules_match_everyone() -> None:
    assert matches(TargetingRules(), ADULT_US_TV)
    assert matches(TargetingRules(), TargetingAttributes())


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (TargetingRules.of(countries=["US", "CA"]), True),
        (TargetingRules.of(countries=["FR"]), False),
        (TargetingRules.of(device_types=["tv"]), True),
        (TargetingRules.of(device_types=["web", "mobile"]), False),
        (TargetingRules.of(plans=["PREMIUM"]), True),
        (TargetingRules.of(plans=["BASIC"]), False),
        (TargetingRules.of(kids=False), True),
        (TargetingRules.of(kids=True), False),
        (TargetingRules.of(min_account_age_days=40), True),
        (TargetingRules.of(min_account_age_days=41), False),
        (TargetingRules.of(max_account_age_days=40), True),
        (TargetingRules.of(max_account_age_days=39), False),
        (
            TargetingRules.of(countries=["US"], device_types=["tv"], plans=["PREMIUM"], kids=False),
            True,
        ),
        (TargetingRules.of(countries=["US"], device_types=["web"]), False),
    ],
)
def test_each_rule(rules: TargetingRules, expected: bool) -> None:
    assert matches(rules, ADULT_US_TV) is expected


@pytest.mark.parametrize(
    "rules",
    [
        TargetingRules.of(countries=["US"]),
        TargetingRules.of(device_types=["tv"]),
        TargetingRules.of(plans=["PREMIUM"]),
        TargetingRules.of(kids=False),
        TargetingRules.of(min_account_age_days=0),
        TargetingRules.of(max_account_age_days=1000),
    ],
)
def test_an_unknown_attribute_never_matches_a_rule_on_it(rules: TargetingRules) -> None:
    assert not matches(rules, TargetingAttributes())


def test_problems() -> None:
    rules = TargetingRules.of(
        countries=["US", "usa"],
        device_types=["TV", "web"],
        plans=["BASIC", "FREE"],
        min_account_age_days=-1,
    )
    assert rules.problems() == [
        "unknown country code 'usa'",
        "bad device type 'TV' (lower-case letters, digits, '_' or '-')",
        "unknown plan 'FREE'",
        "min_account_age_days must not be negative",
    ]
    assert (
        TargetingRules.of(countries=["US"], plans=["BASIC"], device_types=["tv"]).problems() == []
    )
