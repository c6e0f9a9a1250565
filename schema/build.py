"""The Schema: merged root types, production limits and error masking on by default."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import strawberry
from graphql.error import GraphQLError
from graphql.language.parser import parse
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types

from domain.core.errors import DomainError
from domain.core.settings import Settings
from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.customers import CustomerMutations, CustomerQueries, CustomerSubscriptions
from resolvers.drafts import DraftMutations, DraftQueries
from resolvers.invoicing import InvoiceMutations, InvoiceQueries
from schema import input_conversion, variable_coercion
from schema import types as _types  # noqa: F401
from schema.execution import LeafFastPathExecutor
from schema.types.accounts import Business
from schema.types.customers import Customer

log = logging.getLogger("khata.graphql")
# graphql-core suggests near names for arguments, input fields, enum values and types too
# ("Did you mean 'first'?"); strawberry only strips them for fields. With introspection
# off they would still leak the schema, so none are sent.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

Query = merge_types("Query", (AccountQueries, CustomerQueries, InvoiceQueries, DraftQueries))
Mutation = merge_types(
    "Mutation", (AccountMutations, CustomerMutations, InvoiceMutations, DraftMutations)
)
Subscription = merge_types("Subscription", (CustomerSubscriptions,))


class KhataSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Called with the original errors before ErrorPolicy masks them. Invalid queries
        and typed domain errors are the caller's business (debug only; strawberry's
        default logs each at ERROR with a traceback); anything unexpected is logged once,
        with the request id the client is given."""
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, (GraphQLError, DomainError)):
                log.debug("graphql error (request %s): %s", request_id, error.message)
            else:
                log.error("unexpected error (request %s)", request_id, exc_info=original)


class ErrorPolicy(MaskErrors):
    """Domain errors keep their message and gain a stable `extensions.code`; anything
    unexpected is masked (KhataSchema.process_errors has logged it with the request id)
    — no stack traces to clients."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out: list[GraphQLError] = []
        context = getattr(self.execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, GraphQLError):
                if "Did you mean" in error.message:
                    error.message = _SUGGESTION.sub("", error.message)
                out.append(error)
            elif isinstance(original, DomainError):
                out.append(
                    GraphQLError(
                        original.message,
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": original.code},
                    )
                )
            else:
                out.append(
                    GraphQLError(
                        "Unexpected error.",
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": "INTERNAL", "requestId": request_id},
                    )
                )
        return out


# Shared by every request (bounded: unique query texts cannot grow memory without limit).
_cached_parse = lru_cache(maxsize=512)(parse)
_cached_validate = lru_cache(maxsize=512)(validate_document)


class RequestPolicy(ErrorPolicy):
    """Everything per request in one extension: the token limit and extra validation
    rules (what MaxTokensLimiter and AddValidationRules set), cached parsing and
    validation (ParserCache, ValidationCache) and ErrorPolicy's masking. Strawberry wraps
    each hook of each extension of each request in a context manager of its own; five
    extensions cost ~60 us of a request's CPU where one costs a fifth of that."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.parse_options["max_tokens"] = self.max_tokens
        ctx.validation_rules = ctx.validation_rules + self.rules
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.graphql_document = _cached_parse(ctx.query, **ctx.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.pre_execution_errors = _cached_validate(
            ctx.schema._schema, ctx.graphql_document, ctx.validation_rules
        )
        yield


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    s = settings
    input_conversion.install()  # input objects built by compiled converters
    variable_coercion.install()  # request variables coerced by compiled coercers
    # A fresh extension per request (it holds the request's context); the parse and
    # validation caches are module-level and shared. The limiters' rule classes are built
    # once: the validation cache is keyed by the rules too, and a new depth or alias rule
    # class per request (what the limiter extensions make) would never hit.
    rules = [
        *QueryDepthLimiter(max_depth=s.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=s.max_aliases).validation_rules,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    frozen_rules = tuple(rules)
    extensions: list[Any] = [lambda: RequestPolicy(frozen_rules, s.max_tokens)]
    return KhataSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Customer, Business],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
        execution_context_class=LeafFastPathExecutor,  # plain scalar fields: getattr + serialize
    )
