"""The merged BFF schema: every domain's queries and mutations, plus the limits and caches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext

from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.errors import ErrorCode
from schema.experiments.mutations import ExperimentsMutation
from schema.experiments.queries import ExperimentsQuery
from schema.identity.mutations import IdentityMutation
from schema.identity.queries import IdentityQuery
from schema.input_hygiene import InputHygiene
from schema.operation_metrics import OperationLatency
from schema.personalization.mutations import PersonalizationMutation
from schema.personalization.queries import PersonalizationQuery
from schema.playback.mutations import PlaybackMutation
from schema.playback.queries import PlaybackQuery
from schema.profiles.mutations import ProfilesMutation
from schema.profiles.queries import ProfilesQuery
from schema.query_cost import QueryCost
from schema.rate_limits import guard_root_fields
from schema.validated_documents import ValidatedDocuments
from schema.viewing.mutations import ViewingMutation
from schema.viewing.queries import ViewingQuery


@strawberry.type
class Query(
    IdentityQuery,
    ProfilesQuery,
    CatalogQuery,
    ViewingQuery,
    PersonalizationQuery,
    ExperimentsQuery,
    PlaybackQuery,
):
    pass


@strawberry.type
class Mutation(
    IdentityMutation,
    ProfilesMutation,
    CatalogMutation,
    ViewingMutation,
    PersonalizationMutation,
    ExperimentsMutation,
    PlaybackMutation,
):
    pass


# Every root field counts against its rate-limit category (schema/rate_categories.py).
guard_root_fields(Query, Mutation)


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 5000  # schema/cost.py


class FlixSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """The HTTP view's ``classify`` logs what deserves it; expected errors are not news."""


def extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """The schema extensions, the same for the merged schema and every subgraph."""
    # The limiters' rule classes are made once: the validation cache keys on the rules, so
    # fresh classes per request (what passing the limiters as factories does) never hit it.
    limit_rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    # Factories, not instances: each operation gets its own extension objects.
    return [
        OperationLatency,  # first, so its clock covers parsing and validation too
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        partial(ParserCache, maxsize=1024),
        partial(ValidatedDocuments, extra_rules=limit_rules),
        InputHygiene,  # after validation, before execution
        partial(QueryCost, max_cost=limits.max_cost),  # after input hygiene: priced last
    ]


def build_schema(limits: Limits = Limits()) -> strawberry.Schema:
    return FlixSchema(
        query=Query,
        mutation=Mutation,
        types=[ErrorCode],  # in no field's type, but the clients' vocabulary of error codes
        extensions=extensions(limits),
    )
