"""The GraphQL edge under hostile or careless input: query limits, no schema leaks through
suggestions, ids and page sizes checked, body size capped, health probes, errors masked."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from graphql import get_introspection_query

from domain.core.settings import Settings
from khata.composition import build_runtime, create_app
from khata.runtime import Runtime
from schema.build import build_schema
from tests.conftest import Actor, create_customer, gql


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


def _messages(body: dict[str, Any]) -> str:
    return " | ".join(e["message"] for e in body.get("errors", []))


def _gid(type_name: str, raw_id: object) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _nested(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"x {{ {inner} }}"
    return f"{{ viewer {{ {inner} }} }}"


# --------------------------------------------------------------------------- query limits


async def test_depth_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_query_depth
    message = f"exceeds maximum operation depth of {limit}"
    deep = await gql(client, _nested(limit), expect_errors=True)
    assert deep["data"] is None
    assert message in _messages(deep)
    shallow = await gql(client, _nested(limit - 2), expect_errors=True)
    assert message not in _messages(shallow)  # only "cannot query field x" there
    # The parser and validation caches must not let a repeat through.
    again = await gql(client, _nested(limit), expect_errors=True)
    assert again["data"] is None and message in _messages(again)


async def test_depth_limit_sees_through_fragments(client: httpx.AsyncClient) -> None:
    # Each fragment is shallow; spread into each other they are not.
    chain = "name"
    for _ in range(6):
        chain = f"x {{ {chain} }}"
    query = (
        "query { viewer { ...A } }\n"
        f"fragment A on Viewer {{ {chain.replace('name', '...B')} }}\n"
        f"fragment B on Viewer {{ {chain} }}"
    )
    body = await gql(client, query, expect_errors=True)
    assert body["data"] is None
    assert "exceeds maximum operation depth" in _messages(body)


async def test_circular_introspection_is_refused(client: httpx.AsyncClient) -> None:
    inner = "name"
    for _ in range(4):
        inner = f"fields {{ type {{ ofType {{ {inner} }} }} }}"
    body = await gql(client, f"{{ __schema {{ types {{ {inner} }} }} }}", expect_errors=True)
    assert body["data"] is None
    assert body["errors"]


async def test_standard_introspection_still_works(client: httpx.AsyncClient) -> None:
    """GraphiQL and client generators send this; the limits must leave room for it."""
    body = await gql(client, get_introspection_query(descriptions=True))
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Customer", "Business", "Mutation"} <= names


async def test_alias_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_aliases

    def aliases(n: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"

    ok = await gql(client, aliases(limit))
    assert len(ok["data"]) == limit
    body = await gql(client, aliases(limit + 1), expect_errors=True)
    assert body["data"] is None
    assert f"Allowed: {limit}" in _messages(body)
    # Aliases hidden in a fragment count too.
    spread = (
        "{ ...F } fragment F on Query { "
        + " ".join(f"b{i}: __typename" for i in range(limit + 1))
        + " }"
    )
    body = await gql(client, spread, expect_errors=True)
    assert body["data"] is None


async def test_token_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    limit = runtime.settings.max_tokens
    query = "{ " + " ".join(f"a{i % 10}: __typename" for i in range(limit // 3)) + " }"
    body = await gql(client, query, expect_errors=True)
    assert body["data"] is None
    assert f"more than {limit} tokens" in _messages(body)
    # Small documents parse as usual.
    assert (await gql(client, "{ __typename }"))["data"] == {"__typename": "Query"}


async def test_no_suggestions_for_misspelled_names(client: httpx.AsyncClient, owner: Actor) -> None:
    cases: list[tuple[str, dict[str, Any] | None]] = [
        ("{ viewr { user { id } } }", None),
        ("{ viewer { usr { id } } }", None),
        ("{ customers(frist: 1) { totalCount } }", None),
        ("{ customers(sort: {field: NAM}) { totalCount } }", None),
        ('{ node(id: "x") { ... on Custmer { id } } }', None),
        (
            "query($f: CustomerFilterInput) { customers(filter: $f) { totalCount } }",
            {"f": {"isVp": True}},
        ),
        (
            "query($s: CustomerSortInput) { customers(sort: $s) { totalCount } }",
            {"s": {"field": "NAM"}},
        ),
        ("query($s: CustomerSortInputt) { customers(sort: $s) { totalCount } }", None),
    ]
    for query, variables in cases:
        body = await owner.gql(query, variables, expect_errors=True)
        assert body["data"] is None, query
        text = _messages(body)
        assert text, query
        assert "Did you mean" not in text, text
    # ...while the error still says what is wrong.
    body = await owner.gql("{ viewr { user { id } } }", expect_errors=True)
    assert "Cannot query field 'viewr'" in _messages(body)


# --------------------------------------------------------------------------- ids and pages


async def test_malformed_global_ids(client: httpx.AsyncClient, owner: Actor) -> None:
    bad_ids = [
        "%%%",
        "",
        "not base64 at all!",
        _b64(b"\xff\xfe\xfd"),  # not UTF-8
        _b64(b"Customer"),  # no separator
        _b64(b"Customer:"),  # no number
        _b64(b"Customer:abc"),
        _b64(b"Customer:-1"),
        _b64(b"Customer:1.5"),
        _b64(b":12"),  # no type
    ]
    for bad in bad_ids:
        node = await owner.gql("query($id: ID!) { node(id: $id) { id } }", {"id": bad})
        assert node["data"] == {"node": None}, (bad, node)

        single = await owner.gql(
            "query($id: ID!) { customer(id: $id) { id } }", {"id": bad}, expect_errors=True
        )
        assert single["data"] == {"customer": None}, (bad, single)
        assert _codes(single) in ([], ["VALIDATION_FAILED"]), (bad, single)

        mutation = await owner.gql(
            "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename "
            "... on ValidationError { code fields { field code } } } }",
            {"id": bad},
        )
        result = mutation["data"]["deactivateCustomer"]
        assert result["__typename"] == "ValidationError", (bad, result)
        assert result["fields"] == [{"field": "id", "code": "INVALID_ID"}]

    role = await owner.gql(
        'mutation { changeMemberRole(input: { userId: "%%%", role: STAFF }) { __typename '
        "... on ValidationError { fields { field } } } }"
    )
    assert role["data"]["changeMemberRole"] == {
        "__typename": "ValidationError",
        "fields": [{"field": "userId"}],
    }


async def test_out_of_range_ids_are_not_internal_errors(owner: Actor) -> None:
    huge = _gid("Customer", 2**70)
    single = await owner.gql(
        "query($id: ID!) { customer(id: $id) { id } }", {"id": huge}, expect_errors=True
    )
    assert "INTERNAL" not in _codes(single), single
    mutation = await owner.gql(
        "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }",
        {"id": huge},
        expect_errors=True,
    )
    assert "errors" not in mutation, mutation
    assert mutation["data"]["deactivateCustomer"]["__typename"] in (
        "NotFoundError",
        "ValidationError",
    )


async def test_forged_cursors_are_validation_errors(owner: Actor) -> None:
    for value in ({"d": "abc"}, {"x": 1}, [1, 2]):
        cursor = _b64(orjson.dumps(["name:a", value, 1]))
        body = await owner.gql(
            "query($after: String) { customers(after: $after) { totalCount } }",
            {"after": cursor},
            expect_errors=True,
        )
        assert _codes(body) == ["VALIDATION_FAILED"], (value, body)


async def test_plainly_bad_cursors_are_validation_errors(owner: Actor) -> None:
    await create_customer(owner, name="Cursor Test")
    first = await owner.gql("{ customers(first: 1) { pageInfo { endCursor } } }")
    good = first["data"]["customers"]["pageInfo"]["endCursor"]
    other_sort = "{ customers(after: $a, sort: {field: CREATED}) { totalCount } }"
    for query, after in (
        ("{ customers(after: $a) { totalCount } }", "garbage"),
        ("{ customers(after: $a) { totalCount } }", _b64(b"[1,2]")),
        (other_sort, good),  # a cursor of another sort order
    ):
        body = await owner.gql("query($a: String) " + query, {"a": after}, expect_errors=True)
        assert body["data"] is None
        assert _codes(body) == ["VALIDATION_FAILED"], (query, after, body)


async def test_first_is_capped(owner: Actor, runtime: Runtime) -> None:
    cap = runtime.settings.max_page_size
    assert cap == 100
    ok = await owner.gql("query($n: Int) { customers(first: $n) { totalCount } }", {"n": cap})
    assert ok["data"]["customers"]["totalCount"] == 0
    for query in (
        "query($n: Int) { customers(first: $n) { totalCount } }",
        "query($n: Int) { auditEvents(first: $n) { edges { cursor } } }",
    ):
        for n in (cap + 1, 10**6, -1):
            body = await owner.gql(query, {"n": n}, expect_errors=True)
            assert body["data"] is None, (query, n)
            assert _codes(body) == ["VALIDATION_FAILED"], (query, n, body)
    too_big_int = await owner.gql(
        "{ customers(first: 99999999999) { totalCount } }", expect_errors=True
    )
    assert too_big_int["data"] is None  # not even a GraphQL Int


async def test_wrong_type_of_id_is_not_found(owner: Actor) -> None:
    business_id = owner.business_id
    single = await owner.gql("query($id: ID!) { customer(id: $id) { id } }", {"id": business_id})
    assert single["data"] == {"customer": None}
    for mutation in (
        "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) "
        "{ __typename ... on UserError { code } } }",
        'mutation($id: ID!) { updateCustomer(input: {id: $id, name: "X"}) '
        "{ __typename ... on UserError { code } } }",
        "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { __typename ... on UserError { code } } }",
    ):
        body = await owner.gql(mutation, {"id": business_id})
        result = next(iter(body["data"].values()))
        assert result == {"__typename": "NotFoundError", "code": "NOT_FOUND"}, (mutation, body)


async def test_foreign_ids_are_not_found(owner: Actor, other_owner: Actor) -> None:
    theirs = (await create_customer(other_owner, name="Not Yours"))["customer"]["id"]
    assert (await owner.gql("query($id: ID!) { customer(id: $id) { id name } }", {"id": theirs}))[
        "data"
    ] == {"customer": None}
    assert (await owner.gql("query($id: ID!) { node(id: $id) { id } }", {"id": theirs}))[
        "data"
    ] == {"node": None}
    other_business = await owner.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": other_owner.business_id}
    )
    assert other_business["data"] == {"node": None}
    own_business = await owner.gql(
        "query($id: ID!) { node(id: $id) { id ... on Business { name } } }",
        {"id": owner.business_id},
    )
    assert own_business["data"]["node"]["id"] == owner.business_id
    body = await owner.gql(
        "mutation($id: ID!) { deactivateCustomer(input: { id: $id }) { __typename } }",
        {"id": theirs},
    )
    assert body["data"]["deactivateCustomer"]["__typename"] == "NotFoundError"
    still = await other_owner.gql(
        "query($id: ID!) { customer(id: $id) { status } }", {"id": theirs}
    )
    assert still["data"]["customer"]["status"] == "ACTIVE"


# --------------------------------------------------------------------------- authentication


async def test_unauthenticated_customers_query(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ customers { totalCount } }", expect_errors=True)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The viewer query answers anonymously instead.
    viewer = await gql(
        client, "{ viewer { user { id } activeBusiness { id } memberships { role } } }"
    )
    assert viewer["data"]["viewer"] == {"user": None, "activeBusiness": None, "memberships": []}
    # Mutations answer with the typed error.
    mutation = await gql(
        client,
        'mutation { createCustomer(input: {name: "X"}) { __typename ... on UserError { code } } }',
    )
    assert mutation["data"]["createCustomer"] == {
        "__typename": "AuthenticationError",
        "code": "UNAUTHENTICATED",
    }


# --------------------------------------------------------------------------- HTTP edge


async def test_body_larger_than_the_limit_is_413(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    limit = runtime.settings.max_body_bytes
    padding = "x" * (limit + 1)
    payload = orjson.dumps({"query": "{ __typename }", "variables": {"pad": padding}})
    response = await client.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413

    async def chunks() -> Any:  # no Content-Length: the guard must count as it reads
        step = 256 * 1024
        for start in range(0, len(payload), step):
            yield payload[start : start + step]

    streamed = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413

    # Just under the limit is served normally.
    small = orjson.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 1024}})
    ok = await client.post("/graphql", content=small, headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}


async def test_health_probes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    if runtime.settings.redis_url:
        assert body["checks"]["redis"] == "ok"
    else:
        assert "redis" not in body["checks"]


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "req-123"}
    )
    assert response.headers["x-request-id"] == "req-123"
    generated = await client.post("/graphql", json={"query": "{ __typename }"})
    assert len(generated.headers["x-request-id"]) >= 16


async def test_graphiql_is_served_for_browsers(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()
    # GET still answers queries for API clients, but never mutations.
    query = await client.get("/graphql", params={"query": "{ __typename }"})
    assert query.status_code == 200 and query.json()["data"] == {"__typename": "Query"}
    mutation = await client.get("/graphql", params={"query": "mutation { logout { __typename } }"})
    assert mutation.status_code in (400, 405)


async def test_graphiql_and_introspection_can_be_switched_off(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"graphiql": False, "introspection": False})
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, runtime=rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
            page = await c.get("/graphql", headers={"accept": "text/html"})
            assert "graphiql" not in page.text.lower()
            body = await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})
            assert body.json()["data"] is None
            assert "introspection" in _messages(body.json()).lower()
            one_type = await c.post(
                "/graphql", json={"query": '{ __type(name: "Customer") { fields { name } } }'}
            )
            assert one_type.json()["data"] is None
            typename = await c.post("/graphql", json={"query": "{ __typename }"})
            assert typename.json()["data"] == {"__typename": "Query"}
    finally:
        await rt.stop()


async def test_introspection_setting_reaches_the_schema() -> None:
    on = await build_schema(Settings(introspection=True)).execute(
        "{ __schema { queryType { name } } }"
    )
    assert on.errors is None and on.data == {"__schema": {"queryType": {"name": "Query"}}}
    off = await build_schema(Settings(introspection=False)).execute(
        "{ __schema { queryType { name } } }"
    )
    assert off.data is None and off.errors


async def test_malformed_requests_are_client_errors(client: httpx.AsyncClient) -> None:
    for content, content_type in (
        (b"{not json", "application/json"),
        (b'{"variables": {}}', "application/json"),  # no query
        (b"[1, 2, 3]", "application/json"),
    ):
        response = await client.post(
            "/graphql", content=content, headers={"content-type": content_type}
        )
        assert 400 <= response.status_code < 500, (content, response.status_code, response.text)
        assert "Traceback" not in response.text


# --------------------------------------------------------------------------- masking

LEAKS = ("Traceback", 'File "', "RuntimeError", "postgres://", "site-packages", ".py")


@strawberry.type
class _Exploding:
    @strawberry.field
    def boom(self) -> int | None:
        raise RuntimeError("db at postgres://admin:hunter2@10.0.0.5 is down")

    @strawberry.field
    def typed(self) -> int | None:
        from domain.core.errors import NotFound

        raise NotFound("customer")


async def test_unexpected_errors_are_masked_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Our ErrorPolicy and KhataSchema on a schema whose resolver really fails: the client
    sees a generic message with a request id, the log gets the details once."""
    from schema.build import ErrorPolicy, KhataSchema

    schema = KhataSchema(query=_Exploding, extensions=[ErrorPolicy])

    class Ctx:
        request_id = "req-123"

    with caplog.at_level(logging.DEBUG, logger="khata.graphql"):
        result = await schema.execute("{ boom typed }", context_value=Ctx())
    assert result.errors is not None and len(result.errors) == 2
    by_path = {e.path[0]: e.formatted for e in result.errors}  # type: ignore[index]
    assert by_path["boom"]["message"] == "Unexpected error."
    assert by_path["boom"]["extensions"] == {"code": "INTERNAL", "requestId": "req-123"}
    assert by_path["typed"]["extensions"] == {"code": "NOT_FOUND"}
    for leak in LEAKS:
        assert leak not in str(by_path), leak
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info and "req-123" in logged[0].getMessage()


async def test_client_mistakes_are_not_logged_as_server_errors(
    client: httpx.AsyncClient, owner: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    """Wrong ids, missing sign-in and invalid queries are answered, not alarmed about:
    an ERROR log with a traceback per 401 would bury the real failures."""
    with caplog.at_level(logging.WARNING):
        await gql(client, "{ customers { totalCount } }", expect_errors=True)
        await owner.gql('{ customer(id: "%%%") { id } }', expect_errors=True)
        await owner.gql("{ viewr { id } }", expect_errors=True)
        await owner.gql("{ customers(first: 1000) { totalCount } }", expect_errors=True)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_every_request_brings_the_same_validation_rules() -> None:
    """The validation cache is keyed by schema, document and rules: if each request
    brought new rule classes (what the limiter extensions make per instance), it could
    never hit. The limits, token cap, parse and validation caches are all in place."""
    from strawberry.extensions import ParserCache, ValidationCache

    from schema.build import Limits

    schema = build_schema(Settings())
    first, second = ([make() for make in schema.extensions] for _ in range(2))

    def rules(extensions: list[Any]) -> list[Any]:
        return [
            rule
            for extension in extensions
            if isinstance(extension, Limits)
            for rule in extension.rules
        ]

    assert len(rules(first)) >= 2 and rules(first) == rules(second)
    kinds = [type(extension) for extension in first]
    assert {Limits, ParserCache, ValidationCache} <= set(kinds)
    # the limits are set before the caches parse and validate (in their own hooks)
    assert kinds.index(Limits) < kinds.index(ParserCache) < kinds.index(ValidationCache)
