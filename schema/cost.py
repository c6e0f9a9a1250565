"""Query cost: an estimate of the fields an operation may resolve, checked before it runs.

Every selected field costs 1 per object it is resolved on. A list multiplies what is
below it by how many items it may hold: a connection's `first` (its default when not
sent, never more than the page cap), a list field's `first` or `limit` argument, or
LIST_ITEMS for a list without one. Fragments and inline fragments count in full (an upper
bound). Variables are known by then, so `first: $n` counts as sent.

An operation over `KHATA_MAX_QUERY_COST` is refused before any resolver runs, with a
`QUERY_TOO_COSTLY` error that says the cost and the limit. Built on public hooks: a
SchemaExtension's `on_execute` sets the result, which Strawberry then returns instead of
executing (as its documented caching example does); a subscription's stream ignores such a
result, so for a subscription the hook raises the error, which the stream answers instead
of subscribing. The types come from the committed SDL of the same schema, parsed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperation

LIST_ITEMS = 10  # items assumed in a list field that takes no size argument


class CostEstimator:
    def __init__(self, schema: GraphQLSchema, *, page_cap: int) -> None:
        self.schema = schema
        self.page_cap = page_cap

    def operation_cost(
        self,
        definitions: Any,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> int:
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        chosen = [
            op
            for op in operations
            if operation_name is None or (op.name and op.name.value == operation_name)
        ]
        if len(chosen) != 1:
            return 0  # graphql-core answers an ambiguous or missing operation itself
        operation = chosen[0]
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[operation.operation]
        if root is None:
            return 0
        values = dict(variables or {})
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in values and isinstance(definition.default_value, IntValueNode):
                values[name] = int(definition.default_value.value)
        walk = _Walk(self, fragments, values)
        return walk.selection_cost(operation.selection_set, root, None)


class _Walk:
    def __init__(
        self,
        estimator: CostEstimator,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = estimator.schema
        self.page_cap = estimator.page_cap
        self.fragments = fragments
        self.variables = variables

    def fields(self, selection_set: SelectionSetNode) -> Iterator[tuple[FieldNode, str | None]]:
        """Every field of the selection with the type condition it sits under."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, None
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                for field, inner in self.fields(selection.selection_set):
                    yield field, inner or condition
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    for field, inner in self.fields(fragment.selection_set):
                        yield field, inner or fragment.type_condition.name.value

    def selection_cost(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        total = 0
        for node, condition in self.fields(selection_set):
            owner = self.schema.get_type(condition) if condition else parent
            if not isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
                total += 1  # __typename on a union
                continue
            definition = owner.fields.get(node.name.value)
            if definition is None:
                total += 1  # __typename and introspection meta fields
                continue
            total += self.field_cost(node, definition, page)
        return total

    def field_cost(self, node: FieldNode, definition: GraphQLField, page: int | None) -> int:
        type_ = definition.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        is_list = isinstance(type_, GraphQLList)
        while isinstance(type_, GraphQLList | GraphQLNonNull):
            type_ = type_.of_type
        named = type_
        size = self.size_argument(node, definition)
        # a connection's `first` sizes its `edges` (or `nodes`) list
        inner_page = size if named.name.endswith("Connection") else None
        if is_list:
            count = page if page is not None else (size if size is not None else LIST_ITEMS)
        else:
            count = 1
        if node.selection_set is None:
            return count
        below = self.selection_cost(node.selection_set, named, inner_page)
        return count * (1 + below)

    def size_argument(self, node: FieldNode, definition: GraphQLField) -> int | None:
        for name in ("first", "last", "limit"):
            if name not in definition.args:
                continue
            sent = next((a.value for a in node.arguments or () if a.name.value == name), None)
            argument = definition.args[name]
            default = argument.ast_node.default_value if argument.ast_node else None
            value: Any = int(default.value) if isinstance(default, IntValueNode) else None
            if isinstance(sent, IntValueNode):
                value = int(sent.value)
            elif isinstance(sent, VariableNode):
                value = self.variables.get(sent.name.value, value)
            if not isinstance(value, int) or isinstance(value, bool):
                value = self.page_cap
            return max(0, min(value, self.page_cap))
        return None


class QueryCostLimit(SchemaExtension):
    def __init__(self, estimator: Callable[[], CostEstimator], *, limit: int) -> None:
        self.estimator = estimator
        self.limit = limit

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = self.estimator().operation_cost(
                document.definitions, context.operation_name, context.variables
            )
            if cost > self.limit:
                error = GraphQLError(
                    f"query cost {cost:,} exceeds the limit of {self.limit:,}: "
                    "ask for fewer items (`first`) or fewer nested lists",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.limit},
                )
                if context.operation_type is StrawberryOperation.SUBSCRIPTION:
                    # Strawberry's stream does not look at a result set here: it answers
                    # an exception raised by this hook with its error, and never subscribes
                    raise error
                context.result = ExecutionResult(data=None, errors=[error])
        yield
