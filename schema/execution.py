"""A leaner path through graphql-core for the most common fields: a plain attribute of a
Strawberry object whose type is a scalar or an enum (`id`, `name`, `amount`, ...), and a
plain attribute whose value is a small object of such fields (`total { amount currency }`).

graphql-core resolves every field the same way: a Path, a GraphQLResolveInfo, a look for
arguments, Strawberry's default resolver (which calls `getattr`), an awaitable check, then
`complete_value` to serialize it, and for an object the same again for each sub-field. For
these fields all of that comes down to `getattr` and the scalar's serializer; in a nested
read (customers, their invoices, their lines) or a long statement they are most of the
fields, and that ceremony most of their cost.

`LeafFastPathExecutor.execute_fields` computes such fields inline, decided once per
(type, field) per schema. A field qualifies when:

- it has no resolver of its own (Strawberry's default resolver, `getattr`), no field
  extensions, no permission classes and no arguments, and
- its type is a scalar or an enum (nullable or not), or an object type without an
  `is_type_of` check whose selected sub-fields all qualify as scalars themselves, and
- no schema extension wraps field resolution (no middleware for the operation) and the
  selection carries no @defer.

Anything else, and any value the fast path would not serialize cleanly (None, an
exception, an awaitable, a serializer error), goes through graphql-core's own path, which
produces exactly the result or error it always did. The answer is the same; only the
bookkeeping for the common case is skipped. Tied to graphql-core 3.3's Executor
(`execute_fields`' contract); requirements.lock pins it.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, Undefined
from graphql.pyutils import Path, gather_with_cancel
from graphql.type import get_nullable_type, is_leaf_type, is_object_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

LEAF, OBJECT = 1, 2
_Plan = tuple[int, str, Any] | None  # (kind, python attribute, type); None: the usual path
_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], _Plan]] = WeakKeyDictionary()
_SLOW = object()


def _plan(parent_type: GraphQLObjectType, name: str) -> _Plan:
    field: GraphQLField | None = parent_type.fields.get(name)
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or definition.base_resolver is not None:
        return None
    if definition.extensions or definition.permission_classes:
        return None
    if definition.default_resolver is not getattr:
        return None
    inner = get_nullable_type(field.type)
    if is_leaf_type(inner):
        return LEAF, definition.python_name, inner
    if is_object_type(inner) and inner.is_type_of is None:
        return OBJECT, definition.python_name, inner
    return None


class LeafFastPathExecutor(StrawberryGraphQLCoreExecutionContext):
    _leaf_plans: dict[tuple[str, str], _Plan] | None = None  # this schema's, once looked up

    def _plans(self) -> dict[tuple[str, str], _Plan]:
        plans = self._leaf_plans
        if plans is None:
            plans = self._leaf_plans = _PLANS.setdefault(self.schema, {})
        return plans

    def _leaf(self, plan: _Plan, source: Any) -> Any:
        """The serialized value, or _SLOW when graphql-core's path must decide."""
        try:
            value = getattr(source, plan[1])  # type: ignore[index]
            if value is None or isinstance(value, Exception) or self.is_awaitable(value):
                return _SLOW
            coerced = plan[2].coerce_output_value(value)  # type: ignore[index]
        except Exception:
            return _SLOW
        return _SLOW if coerced is None or coerced is Undefined else coerced

    def _object(self, plan: _Plan, source: Any, field_details_list: Any) -> Any:
        object_type = plan[2]  # type: ignore[index]
        try:
            value = getattr(source, plan[1])  # type: ignore[index]
        except Exception:
            return _SLOW
        if value is None or isinstance(value, Exception) or self.is_awaitable(value):
            return _SLOW
        grouped, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return _SLOW
        plans = self._plans()
        out: dict[str, Any] = {}
        for response_name, sub_details in grouped.items():
            node = sub_details[0].node
            key = (object_type.name, node.name.value)
            sub = plans[key] if key in plans else plans.setdefault(key, _plan(object_type, key[1]))
            if sub is None or sub[0] != LEAF or node.arguments:
                return _SLOW
            leaf = self._leaf(sub, value)
            if leaf is _SLOW:
                return _SLOW
            out[response_name] = leaf
        return out

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager._middleware_resolvers is not None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = self._plans()
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                key = (parent_type.name, node.name.value)
                plan = (
                    plans[key]
                    if key in plans
                    else plans.setdefault(key, _plan(parent_type, key[1]))
                )
                if plan is not None and not node.arguments:
                    if plan[0] == LEAF:
                        value = self._leaf(plan, source_value)
                    else:
                        value = self._object(plan, source_value, field_details_list)
                    if value is not _SLOW:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
