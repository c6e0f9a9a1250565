"""The Schema: merged root types, production limits and error masking on by default."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import graphql
import strawberry
from graphql.error import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from domain.core.errors import DomainError, ValidationFailed
from domain.core.failures import (
    connection_lost,
    is_connection_lost,
    is_pool_exhausted,
    log_failure,
    service_busy,
)
from domain.core.settings import Settings
from resolvers.accounts.mutations import AccountMutations
from resolvers.accounts.queries import AccountQueries
from resolvers.campaigns.mutations import CampaignMutations
from resolvers.campaigns.queries import CampaignQueries
from resolvers.campaigns.subscriptions import CampaignSubscriptions
from resolvers.customers.mutations import CustomerMutations
from resolvers.customers.queries import CustomerQueries
from resolvers.customers.subscriptions import CustomerSubscriptions
from resolvers.invoicing.drafts_mutations import DraftMutations
from resolvers.invoicing.drafts_queries import DraftQueries
from resolvers.invoicing.mutations import InvoiceMutations
from resolvers.invoicing.queries import InvoiceQueries
from resolvers.invoicing.recurring import RecurringMutations, RecurringQueries
from resolvers.invoicing.subscriptions import InvoiceSubscriptions
from resolvers.notifications.ledger import LedgerQueries, LedgerSubscriptions
from resolvers.notifications.mutations import NotificationMutations
from resolvers.notifications.queries import NotificationQueries
from resolvers.notifications.reminders import ReminderMutations, ReminderQueries
from resolvers.orders.mutations import OrderMutations
from resolvers.orders.queries import OrderQueries
from resolvers.orders.subscriptions import OrderSubscriptions
from resolvers.purchases.mutations import PurchaseMutations
from resolvers.purchases.queries import PurchaseQueries
from schema import types as _types  # noqa: F401
from schema.cost import CostEstimator, QueryCostLimit
from schema.executor import PerEventExecutor
from schema.guard import guard_root_fields
from schema.metrics import OperationMetrics
from schema.types.accounts.objects import Business
from schema.types.customers.objects import Customer

log = logging.getLogger("khata.graphql")
# graphql-core suggests near names for arguments, input fields, enum values and types too
# ("Did you mean 'first'?"); strawberry only strips them for fields. With introspection
# off they would still leak the schema, so none are sent.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

Query = merge_types(
    "Query",
    (
        AccountQueries,
        CustomerQueries,
        InvoiceQueries,
        DraftQueries,
        RecurringQueries,
        OrderQueries,
        PurchaseQueries,
        NotificationQueries,
        LedgerQueries,
        ReminderQueries,
        CampaignQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        CustomerMutations,
        InvoiceMutations,
        DraftMutations,
        RecurringMutations,
        OrderMutations,
        PurchaseMutations,
        NotificationMutations,
        ReminderMutations,
        CampaignMutations,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        CustomerSubscriptions,
        InvoiceSubscriptions,
        OrderSubscriptions,
        LedgerSubscriptions,
        CampaignSubscriptions,
    ),
)
guard_root_fields(Query, Mutation)


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
                log_failure(log, "unexpected error (request %s)", original, request_id)


class ErrorPolicy(MaskErrors):
    """Domain errors keep their message and gain a stable `extensions.code`; anything
    unexpected is masked (KhataSchema.process_errors has logged it with the request id)
    — no stack traces to clients; graphql-core's "Did you mean" hints are dropped.
    Built on MaskErrors' public hooks: `should_mask_error` picks the errors to rewrite,
    `anonymise_error` rewrites one."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_needs_rewrite)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return GraphQLError(
                _SUGGESTION.sub("", error.message),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions=error.extensions,
            )
        if isinstance(original, DomainError):
            extensions: dict[str, Any] = {"code": original.code}
            if isinstance(original, ValidationFailed):
                extensions["fields"] = [
                    {"field": e.field, "code": e.code, "message": e.message}
                    for e in original.errors
                ]
            return GraphQLError(
                original.message, nodes=error.nodes, path=error.path, extensions=extensions
            )
        if is_connection_lost(original):  # a read that lost its connection: retry it
            lost = connection_lost()
            return GraphQLError(
                lost.message, nodes=error.nodes, path=error.path, extensions={"code": lost.code}
            )
        if is_pool_exhausted(original):  # no connection came free in time: retry it
            busy = service_busy()
            extensions = {"code": busy.code, "retryAfterSeconds": busy.retry_after_seconds}
            return GraphQLError(
                busy.message, nodes=error.nodes, path=error.path, extensions=extensions
            )
        context = getattr(self.execution_context, "context", None)
        return GraphQLError(
            self.error_message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": getattr(context, "request_id", None)},
        )


def _needs_rewrite(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return "Did you mean" in error.message
    return True


class Limits(SchemaExtension):
    """The token limit and the validation rules (depth, aliases, introspection), set as
    parsing and validation begin: what MaxTokensLimiter and AddValidationRules set in
    `on_operation`, whose hooks Strawberry holds open for an operation's whole life (a
    subscription's: hours; bench/subscription_memory.py). Listed before the parser and
    validation caches, which parse and validate in their own hooks."""

    def __init__(self, max_tokens: int, rules: tuple[type[Any], ...]) -> None:
        self.max_tokens = max_tokens
        self.rules = rules

    def on_parse(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = context.validation_rules + self.rules
        yield


PARSE_CACHE_SIZE = VALIDATION_CACHE_SIZE = 512  # distinct query texts kept (bounded memory)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    s = settings
    # The limits are validation rules. Strawberry's limiter extensions make new rule
    # classes per instance, and the validation cache is keyed by the rules, so the rule
    # classes are made once here and added to every request by Limits.
    rules: tuple[type[Any], ...] = (
        *QueryDepthLimiter(max_depth=s.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=s.max_aliases).validation_rules,
    )
    if not settings.introspection:
        rules += (NoSchemaIntrospectionCustomRule,)
    extensions: list[Any] = [
        OperationMetrics,  # first: its timing covers the others
        lambda: Limits(s.max_tokens, rules),  # before the caches: they parse and validate
        lambda: ParserCache(maxsize=PARSE_CACHE_SIZE),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        lambda: QueryCostLimit(lambda: estimator, limit=s.max_query_cost),
        ErrorPolicy,
    ]
    schema = KhataSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Customer, Business],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
        execution_context_class=PerEventExecutor,  # subscription events keep no memo
    )
    # the cost estimate reads field types from the schema's own SDL, parsed once here
    estimator = CostEstimator(graphql.build_schema(schema.as_str()), page_cap=s.max_page_size)
    return schema
