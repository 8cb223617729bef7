"""The directive layer: ``@auth`` and ``@maturity`` in the SDL, a field extension behind each.

Use ``field(...)`` / ``mutation(...)`` from here instead of strawberry's, so a field's
declared guard and its enforcement can never drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.federation import schema_directive
from strawberry.schema_directive import Location

from auth import maturity as maturity_rules
from core.errors import Forbidden
from resolvers import experiments
from resolvers.context import Context

# Federation's @composeDirective keeps them in the supergraph, so the gateway's clients see
# the same guards as the merged schema's; the URL only names the directives' spec.
GUARDS_SPEC = "https://flix.dev/guards/v1.0"


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="auth",
    compose=True,
    import_url=GUARDS_SPEC,
    description="Only a signed-in viewer with one of `roles` (any, when empty) may resolve this.",
)
class Auth:
    roles: list[str]


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="maturity",
    compose=True,
    import_url=GUARDS_SPEC,
    description="Titles above the active profile's maturity level are removed from the result.",
)
class Maturity:
    pass


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="experiment",
    compose=True,
    import_url=GUARDS_SPEC,
    description="Experiment `key` may change how this field resolves, per assigned variant.",
)
class ExperimentPoint:
    key: str


class AuthExtension(FieldExtension):
    def __init__(self, roles: Sequence[str]) -> None:
        self.roles = frozenset(roles)

    def check(self, info: strawberry.Info[Context, None]) -> None:
        viewer = info.context.viewer
        viewer.require_account()
        if self.roles and not self.roles & viewer.roles:
            raise Forbidden("You are not allowed to do this.")

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info[Context, None],
        **kwargs: Any,
    ) -> Any:
        self.check(info)
        return await next_(source, info, **kwargs)


def _above(level: int, item: Any) -> bool:
    """Whether a title, or an item about one (it has a ``video``), is above ``level``."""
    title = item if hasattr(item, "maturity_level") else item.video
    return not maturity_rules.allows(level, title.maturity_level)


def strip_above(level: int, value: Any) -> Any:
    """The value without titles above ``level``: a title, a list of them, or a connection."""
    if value is None:
        return None
    if hasattr(value, "maturity_level") or hasattr(value, "video"):
        return None if _above(level, value) else value
    if hasattr(value, "edges"):
        value.edges = [edge for edge in value.edges if not _above(level, edge.node)]
        return value
    if isinstance(value, list):
        return [item for item in value if item is not None and not _above(level, item)]
    raise TypeError(f"@maturity cannot filter a {type(value).__name__}")


class MaturityExtension(FieldExtension):
    """Second line of defence: resolvers filter in SQL; this catches any path that forgot."""

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info[Context, None],
        **kwargs: Any,
    ) -> Any:
        profile = info.context.viewer.require_profile()
        return strip_above(profile.maturity_level, await next_(source, info, **kwargs))


class ExperimentExtension(FieldExtension):
    """Looks up the profile's variant (once per request) and logs the exposure; the
    resolver reads the variant's config from ``info.context.treatments``."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info[Context, None],
        **kwargs: Any,
    ) -> Any:
        await experiments.applied_treatment(info.context, self.key)
        return await next_(source, info, **kwargs)


def _guards(
    roles: Iterable[str] | None, maturity: bool, experiment: str | None = None
) -> tuple[list[object], list[FieldExtension]]:
    directives: list[object] = []
    extensions: list[FieldExtension] = []
    if experiment is not None:  # innermost: runs after the access checks
        directives.append(ExperimentPoint(key=experiment))
        extensions.append(ExperimentExtension(experiment))
    if roles is not None:
        directives.append(Auth(roles=list(roles)))
        extensions.append(AuthExtension(list(roles)))
    if maturity:
        directives.append(Maturity())
        extensions.append(MaturityExtension())
    return directives, extensions


def field(
    *,
    roles: Iterable[str] | None = None,
    maturity: bool = False,
    experiment: str | None = None,
    **kwargs: Any,
) -> Any:
    """A strawberry field; ``roles`` adds ``@auth`` (``[]``: any signed-in viewer),
    ``maturity`` adds ``@maturity``, ``experiment`` adds ``@experiment(key:)``."""
    directives, extensions = _guards(roles, maturity, experiment)
    return strawberry.field(directives=directives, extensions=extensions, **kwargs)


def mutation(*, roles: Iterable[str] | None = None, **kwargs: Any) -> Any:
    directives, extensions = _guards(roles, maturity=False)
    return strawberry.mutation(directives=directives, extensions=extensions, **kwargs)
