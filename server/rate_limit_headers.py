"""The IETF rate-limit header fields (draft-ietf-httpapi-ratelimit-headers-10) for an answer.

``RateLimit-Policy: "browse";q=100;w=60, "browse-burst";q=30;w=18`` names every window the
request was counted in, ``RateLimit: "browse";r=97;t=55, "browse-burst";r=27;t=18`` says
what is left of each (``r``) and in how many seconds its oldest request leaves it (``t``).
A window counted twice in one request (two sign-in checks, two aliases) shows the tighter.
"""

from __future__ import annotations

from collections.abc import Iterable

from auth.rate_limit import Decision, WindowState


def _tighter(state: WindowState, seen: WindowState | None) -> bool:
    if seen is None:
        return True
    return (state.remaining, -state.reset_seconds) < (seen.remaining, -seen.reset_seconds)


def rate_limit_headers(decisions: Iterable[Decision]) -> dict[str, str]:
    tightest: dict[str, WindowState] = {}
    for decision in decisions:
        for state in decision.windows:
            if _tighter(state, tightest.get(state.window.name)):
                tightest[state.window.name] = state
    if not tightest:
        return {}
    states = tightest.values()
    return {
        "RateLimit-Policy": ", ".join(
            f'"{s.window.name}";q={s.window.quota};w={s.window.seconds}' for s in states
        ),
        "RateLimit": ", ".join(
            f'"{s.window.name}";r={s.remaining};t={s.reset_seconds}' for s in states
        ),
    }
