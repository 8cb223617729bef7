"""What a text argument may contain: checked at the edge, before any value reaches a store.

PostgreSQL refuses NUL in text and lone surrogates in UTF-8, so without this check such a
value fails deep in a query as INTERNAL instead of BAD_USER_INPUT. Control characters have
no business in names, emails, search terms or tags either; free text (a hypothesis, a
player's error message) may hold tabs and line breaks, nothing else below U+0020.
"""

from __future__ import annotations

import re

from core.errors import BadUserInput

LINE_MAX = 2_048  # an email is at most 254, a name 50: a generous bound, not a rule per field
FREE_TEXT_MAX = 10_000
# C0 controls, DEL, C1 controls and lone surrogates (from JSON "\ud800" escapes).
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(value: str, name: str, *, free_text: bool = False) -> str:
    """``value`` unchanged, or BadUserInput naming ``name`` when it is over-long or holds
    characters it may not (``free_text`` allows tab, line feed and carriage return)."""
    limit, forbidden = (FREE_TEXT_MAX, _NOT_IN_FREE_TEXT) if free_text else (LINE_MAX, _NOT_IN_LINE)
    if len(value) > limit:
        raise BadUserInput(f"`{name}` is longer than {limit} characters.")
    if forbidden.search(value):
        raise BadUserInput(f"`{name}` contains control characters.")
    return value
