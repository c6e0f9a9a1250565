"""The Schema: merged root types, production limits and error masking on by default."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from graphql.validation import NoSchemaIntrospectionCustomRule

from domain.core.errors import DomainError
from domain.core.settings import Settings
from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.customers import CustomerMutations, CustomerQueries, CustomerSubscriptions
from schema import types as _types  # noqa: F401
from schema.types.accounts import Business
from schema.types.customers import Customer

log = logging.getLogger("khata.graphql")

Query = merge_types("Query", (AccountQueries, CustomerQueries))
Mutation = merge_types("Mutation", (AccountMutations, CustomerMutations))
Subscription = merge_types("Subscription", (CustomerSubscriptions,))


class ErrorPolicy(MaskErrors):
    """Domain errors keep their message and gain a stable `extensions.code`; anything
    unexpected is logged with the request id and masked — no stack traces to clients."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out: list[GraphQLError] = []
        context = getattr(self.execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, GraphQLError):
                out.append(error)
            elif isinstance(original, DomainError):
                out.append(GraphQLError(original.message, nodes=error.nodes, path=error.path,
                                        extensions={"code": original.code}))
            else:
                log.error("unexpected error (request %s)", request_id, exc_info=original)
                out.append(GraphQLError("Unexpected error.", nodes=error.nodes, path=error.path,
                                        extensions={"code": "INTERNAL", "requestId": request_id}))
        return out


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    s = settings
    # Factories: a fresh extension per request; the parse/validation LRU caches are
    # module-level in strawberry and shared across requests.
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=s.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=s.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=s.max_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        ErrorPolicy,
    ]
    if not settings.introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Customer, Business],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
    )
