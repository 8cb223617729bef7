"""Validation, once per parsed document: its errors (or none) remembered by identity.

strawberry's ``ValidationCache`` keys an ``lru_cache`` on the document, and a parsed document
is a frozen dataclass whose hash walks the whole tree, on every request. The parser cache
already hands back the same ``DocumentNode`` for the same text, so identity is the key here
(``schema/per_document.py``); the schema and the rules are fixed for a schema's lifetime, and
the schema is part of the key since the merged schema and the subgraphs share parsed
documents. It also adds the limiters' rules (what ``AddValidationRules`` did).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension

from schema.per_document import PerDocument

# Per document: the errors by (schema, rules) it was validated against.
Rules = tuple[type[ASTValidationRule], ...]
_VALIDATIONS: PerDocument[dict[tuple[int, Rules], list[GraphQLError]]] = PerDocument(lambda _: {})


def _errors(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
    found = _VALIDATIONS(document)
    key = (id(schema), rules)
    if key not in found:
        found[key] = validate(schema, document, rules)
    return found[key]


class ValidatedDocuments(SchemaExtension):
    def __init__(self, *, extra_rules: Sequence[type[ASTValidationRule]]) -> None:
        # Rule classes made once (schema/assembly.py): fresh ones per request never match.
        self.extra_rules = tuple(extra_rules)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # validation follows a parse
        rules = tuple(context.validation_rules) + self.extra_rules
        schema = context.schema._schema
        context.pre_execution_errors = _errors(schema, context.graphql_document, rules)
        yield
