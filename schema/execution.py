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

from datetime import date, datetime
from decimal import Decimal
from types import CoroutineType, GeneratorType
from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, Undefined
from graphql.pyutils import Path, gather_with_cancel
from graphql.type import (
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

LEAF, OBJECT, LIST = 1, 2, 3
# (kind, python attribute, type, nullable, list items nullable); None: the usual path
_Plan = tuple[int, str, Any, bool, bool] | None
_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], _Plan]] = WeakKeyDictionary()
_SLOW = object()
# Classes whose instances are neither awaitable nor errors: a value of one needs no
# per-value check. Learnt as met (bounded), seeded with what most fields hold.
_PLAIN: set[type] = {str, int, float, bool, Decimal, date, datetime}
_PLAIN_MAX = 512


def _plain(value: Any) -> bool:
    """Whether `value` can be used as it is: not an exception, not awaitable (the
    checks graphql-core makes, answered once per class)."""
    cls = type(value)
    if cls in _PLAIN:
        return True
    if issubclass(cls, (BaseException, CoroutineType, GeneratorType)) or hasattr(
        value, "__await__"
    ):
        return False
    if len(_PLAIN) < _PLAIN_MAX and not hasattr(cls, "__getattr__"):
        _PLAIN.add(cls)
    return True


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
    nullable = not is_non_null_type(field.type)
    inner = get_nullable_type(field.type)
    if is_leaf_type(inner):
        return LEAF, definition.python_name, inner, nullable, False
    if is_object_type(inner) and inner.is_type_of is None:
        return OBJECT, definition.python_name, inner, nullable, False
    if is_list_type(inner):
        item = get_nullable_type(inner.of_type)
        if is_object_type(item) and item.is_type_of is None:
            items_nullable = not is_non_null_type(inner.of_type)
            return LIST, definition.python_name, item, nullable, items_nullable
    return None


class LeafFastPathExecutor(StrawberryGraphQLCoreExecutionContext):
    _leaf_plans: dict[tuple[str, str], _Plan] | None = None  # this schema's, once looked up
    _selections: dict[tuple[Any, int], tuple[Any, Any]] | None = None  # this execution's

    def _plans(self) -> dict[tuple[str, str], _Plan]:
        plans = self._leaf_plans
        if plans is None:
            plans = self._leaf_plans = _PLANS.setdefault(self.schema, {})
        return plans

    def _leaf(self, plan: _Plan, source: Any) -> Any:
        """The serialized value, or _SLOW when graphql-core's path must decide."""
        try:
            value = getattr(source, plan[1])  # type: ignore[index]
            if value is None:
                return None if plan[3] else _SLOW  # type: ignore[index]
            if type(value) not in _PLAIN and not _plain(value):
                return _SLOW
            coerced = plan[2].coerce_output_value(value)  # type: ignore[index]
        except Exception:
            return _SLOW
        return _SLOW if coerced is None or coerced is Undefined else coerced

    def _selection(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """The sub-fields selected on `object_type` as [(response name, attribute, null
        allowed, a scalar's serializer or None, an object's selection or None)], or None
        when any of them needs graphql-core's path; worked out once per field occurrence,
        memoized like graphql-core's collect_subfields (the key list is kept alive with the
        value)."""
        memo = self._selections
        if memo is None:
            memo = self._selections = {}
        key = (object_type, id(field_details_list))
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = (field_details_list, self._compile(object_type, field_details_list))
        return hit[1]

    def _compile(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        grouped, defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        plans = self._plans()
        selection = []
        for response_name, sub_details in grouped.items():
            node = sub_details[0].node
            key = (object_type.name, node.name.value)
            sub = plans[key] if key in plans else plans.setdefault(key, _plan(object_type, key[1]))
            if sub is None or sub[0] == LIST or node.arguments:
                return None
            nested, coerce = None, None
            if sub[0] == OBJECT:
                nested = self._selection(sub[2], sub_details)
                if nested is None:
                    return None
            else:
                coerce = sub[2].coerce_output_value
            # what _fill needs per field, unpacked once: name, attribute, null allowed,
            # the scalar's serializer or the object's own selection
            selection.append((response_name, sub[1], sub[3], coerce, nested))
        return selection

    def _fill(self, selection: Any, source: Any) -> Any:
        """The selected fields of `source` as a dict, or _SLOW."""
        out: dict[str, Any] = {}
        plain = _PLAIN
        for response_name, attribute, nullable, coerce, nested in selection:
            try:
                value = getattr(source, attribute)
            except Exception:
                return _SLOW
            if value is None:
                if not nullable:
                    return _SLOW
                out[response_name] = None
                continue
            if type(value) not in plain and not _plain(value):
                return _SLOW
            if nested is None:
                try:
                    value = coerce(value)
                except Exception:
                    return _SLOW
                if value is None or value is Undefined:
                    return _SLOW
            else:
                value = self._fill(nested, value)
                if value is _SLOW:
                    return _SLOW
            out[response_name] = value
        return out

    def _value(self, plan: _Plan, source: Any) -> Any:
        """The attribute, None for an allowed null, or _SLOW."""
        try:
            value = getattr(source, plan[1])  # type: ignore[index]
        except Exception:
            return _SLOW
        if value is None:
            return None if plan[3] else _SLOW  # type: ignore[index]
        if type(value) not in _PLAIN and not _plain(value):
            return _SLOW
        return value

    def _object(self, plan: _Plan, source: Any, field_details_list: Any) -> Any:
        selection = self._selection(plan[2], field_details_list)  # type: ignore[index]
        if selection is None:
            return _SLOW
        value = self._value(plan, source)
        if value is None or value is _SLOW:
            return value
        return self._fill(selection, value)

    def _list(self, plan: _Plan, source: Any, field_details_list: Any) -> Any:
        """A list of objects whose selected fields all qualify, completed in one loop
        (graphql-core completes each item as a field of its own: a path, an awaitable
        check and a completion per item before its fields)."""
        selection = self._selection(plan[2], field_details_list)  # type: ignore[index]
        if selection is None:
            return _SLOW
        items = self._value(plan, source)
        if items is None or items is _SLOW:
            return items
        if not isinstance(items, list | tuple):
            return _SLOW
        items_nullable = plan[4]  # type: ignore[index]
        fill = self._fill
        out: list[Any] = []
        for item in items:
            if item is None:
                if not items_nullable:
                    return _SLOW
                out.append(None)
                continue
            if type(item) not in _PLAIN and not _plain(item):
                return _SLOW
            row = fill(selection, item)
            if row is _SLOW:
                return _SLOW
            out.append(row)
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
                    kind = plan[0]
                    if kind == LEAF:
                        value = self._leaf(plan, source_value)
                    elif kind == OBJECT:
                        value = self._object(plan, source_value, field_details_list)
                    else:
                        value = self._list(plan, source_value, field_details_list)
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
