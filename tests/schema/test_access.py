"""Every root field declares who may call it (resolvers/access.py), and the declaration
holds: an API key without the scope a mutation or query needs is refused before anything
runs. The walk covers the whole schema, so a new field without a declaration fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    build_schema,
    get_named_type,
    is_leaf_type,
)

from domain.core.viewer import Scope
from resolvers.access import Access, Rule
from schema.build import Mutation, Query
from tests.conftest import Actor, gql

SDL = build_schema((Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text())
SCALARS = {
    "ID": '"QnVzaW5lc3M6MQ=="',
    "String": '"x"',
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "Decimal": '"1"',
    "Date": '"2026-01-01"',
    "DateTime": '"2026-01-01T00:00:00Z"',
    "JSON": "{}",
}
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { secret } } }"""


def declarations(root: Any) -> dict[str, Access]:
    """The field's one Access declaration, by GraphQL name."""
    out = {}
    for field in root.__strawberry_definition__.fields:
        found = [e for e in field.extensions if isinstance(e, Access)]
        assert len(found) == 1, f"{field.python_name} declares {len(found)} access rules"
        out[field.graphql_name or _camel(field.python_name)] = found[0]
    return out


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(p.title() for p in rest)


def literal(t: GraphQLInputType) -> str:
    """Some value of the type: the access check runs before anything reads it."""
    if isinstance(t, GraphQLNonNull):
        return literal(t.of_type)
    if isinstance(t, GraphQLList):
        return f"[{literal(t.of_type)}]"
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLScalarType):
        return SCALARS[t.name]
    assert isinstance(t, GraphQLInputObjectType)
    required = [
        f"{n}: {literal(f.type)}"
        for n, f in t.fields.items()
        if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
    ]
    return "{" + ", ".join(required) + "}"


def document(op: str, name: str, field: GraphQLField) -> str:
    args = [
        f"{n}: {literal(a.type)}"
        for n, a in field.args.items()
        if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
    ]
    call = f"{name}({', '.join(args)})" if args else name
    named = get_named_type(field.type)
    selection = "" if is_leaf_type(named) else " { __typename ... on UserError { code } }"
    if op == "query" and not is_leaf_type(named):
        selection = " { __typename }"
    return f"{op} {{ {call}{selection} }}"


def test_every_root_field_declares_its_access() -> None:
    assert set(declarations(Mutation)) == set(SDL.mutation_type.fields)  # type: ignore[union-attr]
    assert set(declarations(Query)) == set(SDL.query_type.fields)  # type: ignore[union-attr]


def test_invoicing_is_guarded_by_invoicing_scopes() -> None:
    m = declarations(Mutation)
    for name in ("createInvoice", "sendInvoice", "voidInvoice", "convertDraftToInvoice"):
        assert m[name].scope is Scope.INVOICES_WRITE, name
    for name in ("recordPayment", "applyCustomerCredit", "reversePayment"):
        assert m[name].scope is Scope.PAYMENTS_WRITE, name
    q = declarations(Query)
    for name in (
        "createRecurringSchedule",
        "createRecurringScheduleFromSuggestion",
        "updateRecurringSchedule",
        "pauseRecurringSchedule",
        "resumeRecurringSchedule",
        "deleteRecurringSchedule",
    ):
        assert m[name].scope is Scope.INVOICES_WRITE, name
    assert declarations(Query)["recurringSchedules"].scope is Scope.INVOICES_READ
    for name in ("invoice", "invoices", "customerStatement", "agingReport", "invoiceDraft"):
        assert q[name].scope is Scope.INVOICES_READ, name


async def _key(owner: Actor, scopes: list[str]) -> dict[str, str]:
    created = (await owner.gql(CREATE_KEY, {"input": {"name": "probe", "scopes": sorted(scopes)}}))[
        "data"
    ]["createApiKey"]
    assert created["__typename"] == "CreateApiKeyPayload", created
    return {"authorization": f"Bearer {created['secret']}"}


def _without(scope: Scope | None) -> list[str]:
    return [s.name for s in Scope if s is not scope]


async def test_every_mutation_refuses_a_key_without_its_scope(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    read_only = await _key(owner, ["CUSTOMERS_READ"])
    keys: dict[Scope | None, dict[str, str]] = {}
    checked = 0
    for name, access in declarations(Mutation).items():
        if access.rule is Rule.PUBLIC:
            continue
        if access.scope not in keys:  # staff-only fields: a key holding every scope
            keys[access.scope] = await _key(owner, _without(access.scope))
        query = document("mutation", name, SDL.mutation_type.fields[name])  # type: ignore[union-attr]
        for headers in (read_only, keys[access.scope]):
            body = await gql(client, query, headers=headers, expect_errors=True)
            assert "errors" not in body, (name, body)
            assert body["data"][name]["__typename"] == "PermissionError", (name, body)
            assert body["data"][name]["code"] == "PERMISSION_DENIED", (name, body)
            checked += 1
    assert checked >= 2 * 30  # every guarded mutation (32 today), two keys each


async def test_every_query_refuses_a_key_without_its_scope(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    keys: dict[Scope | None, dict[str, str]] = {}
    for name, access in declarations(Query).items():
        if access.rule in (Rule.PUBLIC, Rule.SIGNED_IN):
            continue
        if access.scope not in keys:
            keys[access.scope] = await _key(owner, _without(access.scope))
        query = document("query", name, SDL.query_type.fields[name])  # type: ignore[union-attr]
        body = await gql(client, query, headers=keys[access.scope], expect_errors=True)
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]
        assert codes == ["PERMISSION_DENIED"], (name, body)


async def test_a_read_only_key_reads_but_cannot_bill(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    """The keys that held only the customers scopes before invoicing had its own."""
    headers = await _key(owner, ["CUSTOMERS_READ", "INVOICES_READ"])
    body = await gql(client, "{ invoices(first: 5) { totalCount } }", headers=headers)
    assert body["data"]["invoices"]["totalCount"] == 0
    for name in ("sendInvoice", "createInvoice", "recordPayment", "voidInvoice"):
        query = document("mutation", name, SDL.mutation_type.fields[name])  # type: ignore[union-attr]
        body = await gql(client, query, headers=headers)
        assert body["data"][name]["__typename"] == "PermissionError", (name, body)


@pytest.mark.parametrize("rule", [Rule.SCOPE, Rule.STAFF])
async def test_anonymous_callers_are_asked_to_sign_in(
    client: httpx.AsyncClient, rule: Rule
) -> None:
    name = next(n for n, a in declarations(Mutation).items() if a.rule is rule)
    query = document("mutation", name, SDL.mutation_type.fields[name])  # type: ignore[union-attr]
    body = await gql(client, query)
    assert body["data"][name]["__typename"] == "AuthenticationError", body
