"""The registry: every row kind and the module that plans its rows, in default page order.

``RowKind`` (``model.py``) is the registry's list, one line per kind; the kind ``X_Y`` is
planned by ``rows/x_y.py``'s ``plans``. A new row kind is that member, that module and its
test: nothing here changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import cast

from personalization.homepage.facts import PageFacts
from personalization.homepage.model import RowKind, RowPlan

RowBuilder = Callable[[PageFacts], list[RowPlan]]


def _builder(kind: RowKind) -> RowBuilder:
    # By name rather than by import list, so that a kind's member is its one registry
    # line; test_registry checks that every member has its module and every module its member.
    module = import_module(f"{__package__}.rows.{kind.value.lower()}")
    return cast(RowBuilder, module.plans)


ROWS: Mapping[RowKind, RowBuilder] = {kind: _builder(kind) for kind in RowKind}

DEFAULT_ORDER = tuple(ROWS)


def plans(facts: PageFacts, registry: Mapping[RowKind, RowBuilder] = ROWS) -> list[RowPlan]:
    """Every registered row's plans for this page."""
    return [plan for build in registry.values() for plan in build(facts)]
