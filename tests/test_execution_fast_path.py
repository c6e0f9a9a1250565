"""schema.execution.LeafFastPathExecutor answers exactly as Strawberry's own executor:
same data, same errors (messages, paths), same null bubbling, for the shapes it shortcuts
(scalar and enum attributes, objects of them) and the ones it must leave alone."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import LeafFastPathExecutor


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Amount:
    amount: Decimal
    currency: str


@strawberry.type
class Row:
    id: strawberry.ID
    name: str
    note: str | None
    colour: Colour
    total: Amount
    maybe_total: Amount | None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def later(self) -> str:
        return self.name[::-1]


class Broken:
    """Looks like a Row but breaks the non-null contract in places."""

    id = "b1"
    name = None  # non-null field: must become an error and null the whole row
    note = None
    colour = Colour.BLUE
    total = Amount(amount=Decimal("1.50"), currency="OMR")
    maybe_total = None


class BadAmount:
    amount = None  # non-null inside an object reached by the fast path
    currency = "INR"


class HalfRow:
    id = "h1"
    name = "half"
    note = "x"
    colour = Colour.RED
    total = BadAmount()
    maybe_total = BadAmount()


class Later:
    """Awaitable, as a plain attribute's value may be: graphql-core awaits it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        yield from []
        return self.value


class OddRow:
    """Values the fast path must hand back to graphql-core: an awaitable in place of a
    string and of an object, and an exception in place of a string."""

    id = "o1"
    name = Later("later name")
    note = ValueError("no note for you")
    colour = Colour.RED
    total = Later(Amount(amount=Decimal("2.5"), currency="INR"))
    maybe_total = None


@strawberry.type
class Group:
    name: str
    rows: list[Row]


@strawberry.type
class Sheet:
    """Lists of objects held as plain attributes: completed in one loop by the fast path."""

    title: str
    rows: list[Row]
    maybe_rows: list[Row] | None
    sparse: list[Row | None]
    groups: list[Group]


def _row(i: int) -> Row:
    return Row(
        id=strawberry.ID(str(i)),
        name=f"row {i}",
        note=None if i % 2 else f"note {i}",
        colour=Colour.RED if i % 2 else Colour.BLUE,
        total=Amount(amount=Decimal(i) / 3, currency="INR"),
        maybe_total=None if i % 3 else Amount(amount=Decimal(i), currency="KES"),
    )


@strawberry.type
class Query:
    @strawberry.field
    def sheet(self) -> Sheet:
        rows = [_row(i) for i in range(4)]
        return Sheet(
            title="s",
            rows=rows,
            maybe_rows=None,
            sparse=[rows[0], None, rows[1]],
            groups=[Group(name="g", rows=rows[:2]), Group(name="h", rows=[])],
        )

    @strawberry.field
    def bad_sheet(self) -> Sheet | None:
        good = _row(1)
        return Sheet(
            title="bad",
            rows=[good, Broken()],  # type: ignore[list-item]
            maybe_rows=[good, HalfRow()],  # type: ignore[list-item]
            sparse=[good, Broken(), HalfRow()],  # type: ignore[list-item]
            groups=[],
        )

    @strawberry.field
    def odd_sheet(self) -> Sheet:
        """A tuple and a generator where lists are expected: both are valid iterables."""
        return Sheet(
            title="odd",
            rows=(_row(2), _row(3)),  # type: ignore[arg-type]
            maybe_rows=(r for r in [_row(4)]),  # type: ignore[arg-type]
            sparse=[],
            groups=[],
        )

    @strawberry.field
    def rows(self) -> list[Row]:
        return [_row(i) for i in range(5)]

    @strawberry.field
    def broken(self) -> list[Row | None]:
        return [Broken(), HalfRow()]  # type: ignore[list-item]

    @strawberry.field
    def odd_rows(self) -> list[Row]:
        return [_row(1), OddRow(), _row(2), OddRow()]  # type: ignore[list-item]

    @strawberry.field
    def strict(self) -> list[Row]:
        return [HalfRow()]  # type: ignore[list-item]


QUERIES = [
    "{ rows { id name note colour total { amount currency } maybeTotal { amount } } }",
    "{ rows { a: name b: name total { x: amount __typename } shout(times: 2) later } }",
    """query($skip: Boolean!) { rows { ...F total @skip(if: $skip) { amount } } }
       fragment F on Row { id ... on Row { colour note } }""",
    "{ broken { id name colour total { amount } } }",
    "{ broken { id maybeTotal { amount currency } } }",
    "{ strict { id total { amount currency } } }",
    "{ rows { total { amount } } strict { name } }",
    """{ sheet { title rows { id name note colour total { amount currency } maybeTotal { amount } }
       maybeRows { id } sparse { id total { amount } } } }""",
    "{ sheet { rows { id shout(times: 2) later } } }",
    "{ sheet { groups { name rows { id total { amount } } } } }",
    "{ sheet { rows { __typename id } a: rows { x: id } b: rows { name } } }",
    """query($skip: Boolean!) { sheet { rows { ...F total @skip(if: $skip) { amount } } } }
       fragment F on Row { id ... on Row { colour } }""",
    "{ badSheet { title rows { id name total { amount } } } }",
    "{ badSheet { title maybeRows { id total { amount } } } }",
    "{ badSheet { sparse { id name } } }",
    "{ oddSheet { rows { id } maybeRows { name } sparse { id } } }",
    "{ oddRows { id name colour total { amount } } }",
    "{ oddRows { id note } }",
    "{ rows { name } oddRows { name total { currency } } again: rows { total { amount } } }",
]


async def _run_async(executor: type, query: str) -> tuple[Any, list[Any]]:
    schema = strawberry.Schema(query=Query, execution_context_class=executor)
    result = await schema.execute(query, variable_values={"skip": False})
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
async def test_same_answer_as_strawberrys_executor(query: str) -> None:
    plain = await _run_async(StrawberryGraphQLCoreExecutionContext, query)
    fast = await _run_async(LeafFastPathExecutor, query)
    assert fast == plain


async def test_errors_are_still_reported() -> None:
    data, errors = await _run_async(LeafFastPathExecutor, QUERIES[3])
    # Row.name and Amount.amount are non-null: each error nulls its whole row
    assert data == {"broken": [None, None]}
    assert errors == [
        (
            "Cannot return null for non-nullable field Amount.amount.",
            ("broken", 1, "total", "amount"),
        ),
        ("Cannot return null for non-nullable field Row.name.", ("broken", 0, "name")),
    ]


class CountingExecutor(LeafFastPathExecutor):
    fields: list[str] = []

    def execute_field(self, parent_type: Any, source: Any, details: Any, *rest: Any) -> Any:
        CountingExecutor.fields.append(f"{parent_type.name}.{details[0].node.name.value}")
        return super().execute_field(parent_type, source, details, *rest)


async def test_lists_of_plain_objects_skip_graphql_cores_per_field_path() -> None:
    """The fast path is taken: only `sheet` (a resolver) goes through execute_field; its
    list of rows, their scalars and objects are completed inline. A resolver field in the
    items sends the list back to graphql-core, field by field."""
    CountingExecutor.fields = []
    data, errors = await _run_async(
        CountingExecutor, "{ sheet { rows { id note total { amount } } sparse { name } } }"
    )
    assert errors == [] and len(data["sheet"]["rows"]) == 4
    assert CountingExecutor.fields == ["Query.sheet"]
    CountingExecutor.fields = []
    await _run_async(CountingExecutor, "{ sheet { rows { id later } } }")
    assert CountingExecutor.fields[:2] == ["Query.sheet", "Sheet.rows"]
    assert CountingExecutor.fields.count("Row.later") == 4
