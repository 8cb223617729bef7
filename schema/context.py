"""The typed ``Info`` every GraphQL resolver receives."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from resolvers.context import Context

Info: TypeAlias = strawberry.Info[Context, None]
