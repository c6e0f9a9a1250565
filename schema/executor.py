"""The executor class of the schema: each subscription event runs on a fresh executor.

graphql-core 3.3.2 executes each subscription event on `build_per_event_executor(payload)`,
a shallow copy of the subscription's executor that shares its memo of collected
sub-fields (keyed by the identity of the per-event field lists, which each event makes
anew) and its execution plans: both grow with every event, for the life of the
`subscribe()` (bench/graphql_core_memo.py; ~1.6 KiB per event per group measured by
bench/subscription_memory.py `--events`). Those long-lived entries, allocated while each
event's transient objects are, also keep the allocator's pools from being given back.

Strawberry's `execution_context_class` (a Schema parameter) and graphql-core's
`executor_class` are the documented seams for the executor; `build_per_event_executor` is
a public method of it (documented, with its own doctest). Here it builds the per-event
executor with the public constructor from the same validated arguments (the document,
its fragments, the coerced variables, the resolvers, the context) and shares the same
execution state as the stock copy, so each event starts with empty memos that go with
its executor once its result is out: what the stock copy computes, without keeping it.
Within one event the memo still serves lists of items. The group's renewal
(schema/http/cohorts.py) stays: it also bounds what a stream's resolvers hold.
`tests/schema/test_executor.py` pins the argument list against the pinned version.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class PerEventExecutor(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> PerEventExecutor:
        executor = type(self)(
            self.schema,
            self.fragment_definitions,
            self.fragments,
            payload,
            self.context_value,
            self.operation,
            self.variable_values,
            self.field_resolver,
            self.type_resolver,
            self.subscribe_field_resolver,
            self.enable_early_execution,
            self.middleware_manager,
            self.is_awaitable,
            self.is_async_iterable,
            self.hide_suggestions,
            self.abort_signal,
            self.hooks,
            operation_extensions=self.operation_extensions,
        )
        # the execution state the stock copy shares with the subscription's executor,
        # shared the same way (the helpers are bound to it: a fresh pair would make each
        # event's executor a reference cycle, left for the collector)
        executor.async_helpers = self.async_helpers
        executor.pending_incremental_futures = self.pending_incremental_futures
        executor.background_futures = self.background_futures
        executor.async_work_finished_hook_task = self.async_work_finished_hook_task
        return executor
