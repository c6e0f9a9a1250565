"""Property-based fuzzing of every query and mutation of the committed SDL.

hypothesis-graphql builds documents from `schema/schema.graphql`: every root field with
valid-shaped and hostile argument values (control characters, bidi controls, absurd
decimals and dates, JSON of the wrong shape, real ids of this business and of another
one, garbage ids) and random selections. Each document runs against the ASGI app as the
owner, a staff member and a read-only API key. Whatever the input:

- no response carries an `INTERNAL` error (an unexpected exception is a bug),
- no response is an HTTP 5xx,
- nothing of another business ever shows (its customer's marker name never appears).

Documents are generated up front (derandomized, so a CI run is repeatable), then sent.
`KHATA_FUZZ_EXAMPLES` sets the examples per root field (default 6) for a longer hunt.
"""

from __future__ import annotations

import base64
import os
import string
from collections.abc import Callable
from pathlib import Path

import graphql
import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from tests.conftest import Actor, create_customer, gql, sign_up

SDL = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("KHATA_FUZZ_EXAMPLES", "6"))
MARKER = "Zorbulon Quixwater"  # the other business's customer: must never leak
# logout would end the owner's session for every later document; it takes no argument
SKIPPED_MUTATIONS = {"logout"}

INVOICE = """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
  __typename ... on InvoicePayload { invoice { id } } ... on UserError { code message } } }"""
PAY = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  __typename ... on PaymentPayload { payment { id } } ... on UserError { code message } } }"""
DRAFT = """mutation($input: CreateDraftInput!) { createInvoiceDraft(input: $input) {
  __typename ... on DraftPayload { draft { id } } ... on UserError { code message } } }"""
INVITE = """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
  __typename ... on InvitePayload { token } ... on UserError { code message } } }"""
ACCEPT = """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename ... on AuthPayload { token user { id } } ... on UserError { code message } } }"""
CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { secret } ... on UserError { code message } } }"""


def gid(kind: str, raw: str) -> str:
    return base64.b64encode(f"{kind}:{raw}".encode()).decode().rstrip("=")


# ----------------------------------------------------------------- value strategies

HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m",
    "\x7f",
    "name\u202eevil",
    "\u2066x\u2069",
    "line\rbreak",
    "tab\there",
    "\n",
    "",
    " ",
    "x" * 5000,
    "' OR 1=1 --",
    "%_\\",
    "\u0660\u0661\u0662\u0663",
    "\ufeff",
    "🙂" * 10,
]
VALID_TEXT = [
    "Ramesh Patel",
    "INR",
    "USD",
    "OMR",
    "XYZ",
    "IN",
    "KE",
    "+919876543210",
    "98765 43210",
    "3210",
    "a@example.com",
    "INV-00001",
    "CUST-00001",
    "customer.created",
    "sms",
    "email",
    "2 bags urea @ 266 and 1 DAP 1350",
    "name,phone\nAsha,9876543210\n",
    'name,phone\n"A\rB",9876543210\n',
    "name,phone\nA\rB,9876543210\n",
    "name,phone\n" + "x" * 200_000 + ",1\n",
    "Asia/Kolkata",
    "27AAPFU0939F1ZV",
    "MH",
]
DECIMALS = [
    "0",
    "1",
    "-1",
    "0.5",
    "266",
    "1350.75",
    "18",
    "100",
    "1e400",
    "-1e400",
    "1e-400",
    "sNaN",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "9" * 30,
    "0." + "1" * 30,
    "\u0661\u0662\u0663",
    "\u0660\u066b\u0665",
    "1,000",
    " 12 ",
    "abc",
    "",
]
DATES = [
    "2026-01-15",
    "2025-12-31",
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2026-02-30",
    "26-01-01",
    "today",
    "",
]
DATETIMES = [
    "2026-12-01T10:00:00+05:30",
    "2026-12-01T10:00:00Z",
    "2026-12-01T10:00:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "2026-13-01T00:00:00Z",
    "yesterday",
    "",
]


def json_value(depth: int) -> st.SearchStrategy[graphql.ValueNode]:
    leaf = st.one_of(
        st.text(max_size=20).map(nodes.String),
        st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
        st.booleans().map(nodes.Boolean),
        st.just(graphql.NullValueNode()),
    )
    if depth <= 0:
        return leaf
    inner = json_value(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, max_size=3).map(lambda v: graphql.ListValueNode(values=tuple(v))),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3).map(obj_node),
    )


def obj_node(d: dict[str, graphql.ValueNode]) -> graphql.ObjectValueNode:
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in d.items()
        )
    )


def deep_json(levels: int) -> graphql.ValueNode:
    node: graphql.ValueNode = nodes.Int(1)
    for _ in range(levels):
        node = obj_node({"a": node})
    return node


JSON = st.one_of(
    json_value(3),
    st.just(obj_node({"sms": nodes.Boolean(True), "language": nodes.String("hi")})),
    st.just(deep_json(40)),
    st.just(obj_node({"big": nodes.String("x" * 1_000_000)})),
    st.just(graphql.ListValueNode(values=(nodes.Int(1),))),
    st.just(nodes.String("str")),
)


def scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    hostile_ids = [
        "",
        "\x00",
        "not-an-id",
        gid("Customer", "99999999999999999999999"),
        gid("Customer", "-1"),
        gid("Customer", "abc"),
        gid("Invoice", "0"),
        gid("Nope", "1"),
        base64.b64encode(b"\xff\xfe").decode(),
    ]
    text = st.one_of(
        st.sampled_from(VALID_TEXT),
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),
        st.text(alphabet=string.digits + "+ -", max_size=16),
    ).map(nodes.String)
    return {
        "String": text,
        "ID": st.one_of(st.sampled_from(ids + hostile_ids), st.text(max_size=20)).map(nodes.String),
        "Decimal": st.one_of(
            st.sampled_from(DECIMALS),
            st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        ).map(nodes.String),
        "Date": st.one_of(st.sampled_from(DATES), st.dates().map(str)).map(nodes.String),
        "DateTime": st.one_of(
            st.sampled_from(DATETIMES), st.datetimes().map(lambda d: d.isoformat())
        ).map(nodes.String),
        "JSON": JSON,
    }


def generate(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` documents from the strategy, the same ones on every run."""
    out: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(document: str) -> None:
        out.append(document)

    collect()
    return out


# ----------------------------------------------------------------- the world


async def seed(client: httpx.AsyncClient) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """Two businesses; the fuzzed one with customers, an invoice, a payment and a draft;
    the other with a customer whose name is MARKER. Returns the actors (name, headers)
    and the ids the fuzzer may use (of both businesses)."""
    owner = await sign_up(client, "IN")
    other = await sign_up(client, "KE")
    ids: list[str] = [owner.business_id, other.business_id, owner.user_id, other.user_id]

    foreign = await create_customer(
        other, name=MARKER, phone="+254712345678", email="zorbulon@example.com", notes=MARKER
    )
    ids.append(foreign["customer"]["id"])
    ids.append(await invoice(other, foreign["customer"]["id"], f"{MARKER} goods"))

    for name, phone in (("Asha Rao", "+919876543210"), ("Ravi Kumar", "+919812345678")):
        made = await create_customer(
            owner,
            name=name,
            phone=phone,
            addresses=[{"kind": "HOME", "city": "Pune", "isDefault": True}],
        )
        ids.append(made["customer"]["id"])
        ids.extend(a["id"] for a in made["customer"]["addresses"])
    cid = ids[-2]
    inv = await invoice(owner, cid, "Urea bags")
    ids.append(inv)
    paid = await owner.gql(
        PAY,
        {"input": {"invoiceId": inv, "amount": "10", "method": "UPI", "idempotencyKey": "seed"}},
    )
    assert paid["data"]["recordPayment"]["__typename"] == "PaymentPayload", paid
    ids.append(paid["data"]["recordPayment"]["payment"]["id"])
    draft = await owner.gql(
        DRAFT, {"input": {"customerId": cid, "lines": [{"description": "Urea", "unitPrice": "5"}]}}
    )
    assert draft["data"]["createInvoiceDraft"]["__typename"] == "DraftPayload", draft
    ids.append(draft["data"]["createInvoiceDraft"]["draft"]["id"])

    staff = await staff_of(owner)
    key = await owner.gql(
        CREATE_KEY, {"input": {"name": "fuzz", "scopes": ["CUSTOMERS_READ", "INVOICES_READ"]}}
    )
    secret = key["data"]["createApiKey"]["secret"]
    actors = [
        ("owner", owner.headers),
        ("staff", staff.headers),
        ("read-only key", {"authorization": f"Bearer {secret}"}),
    ]
    return actors, ids


async def invoice(actor: Actor, cid: str, description: str) -> str:
    body = await actor.gql(
        INVOICE,
        {
            "input": {
                "customerId": cid,
                "lines": [{"description": description, "quantity": "2", "unitPrice": "50"}],
            }
        },
    )
    result = body["data"]["createInvoice"]
    assert result["__typename"] == "InvoicePayload", result
    return result["invoice"]["id"]  # type: ignore[no-any-return]


async def staff_of(owner: Actor) -> Actor:
    email = f"staff-{owner.email}"
    invited = await owner.gql(INVITE, {"input": {"email": email, "role": "STAFF"}})
    token = invited["data"]["inviteStaff"]["token"]
    body = await gql(
        owner.client,
        ACCEPT,
        {"input": {"token": token, "name": "Ravi", "password": "lantern quietly orbits"}},
    )
    accepted = body["data"]["acceptInvitation"]
    assert accepted["__typename"] == "AuthPayload", accepted
    return Actor(
        accepted["token"], owner.business_id, accepted["user"]["id"], email, "x" * 16, owner.client
    )


def root_fields(type_name: str) -> list[str]:
    schema = graphql.build_schema(SDL)
    root = schema.get_type(type_name)
    assert isinstance(root, graphql.GraphQLObjectType)
    return sorted(root.fields)


def problems(document: str, actor: str, response: httpx.Response) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    if MARKER in response.text and MARKER not in document:
        found.append("another business's data")
    if response.headers.get("content-type", "").startswith("application/json"):
        for error in response.json().get("errors") or []:
            if (error.get("extensions") or {}).get("code") == "INTERNAL":
                found.append(f"INTERNAL at {error.get('path')}")
    return [f"{actor}: {p}\n{document}\n{response.text[:500]}" for p in found]


async def fuzz(
    client: httpx.AsyncClient,
    make: Callable[..., st.SearchStrategy[str]],
    fields: list[str],
) -> None:
    actors, ids = await seed(client)
    custom = scalars(ids)
    failures: list[str] = []
    for field in fields:
        documents = generate(make(SDL, fields=[field], custom_scalars=custom), EXAMPLES)
        for i, document in enumerate(documents):
            # each document as one actor in turn, so every actor meets every field
            for actor, headers in (actors[i % 3], actors[(i + 1) % 3]):
                response = await client.post("/graphql", json={"query": document}, headers=headers)
                failures.extend(problems(document, actor, response))
    assert not failures, f"{len(failures)} problems:\n\n" + "\n\n".join(failures[:20])


async def test_fuzz_queries(client: httpx.AsyncClient) -> None:
    await fuzz(client, queries, root_fields("Query"))


async def test_fuzz_mutations(client: httpx.AsyncClient) -> None:
    fields = [f for f in root_fields("Mutation") if f not in SKIPPED_MUTATIONS]
    await fuzz(client, mutations, fields)
