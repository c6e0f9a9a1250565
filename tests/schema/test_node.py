"""`node(id)` resolves every type that implements Node: the list comes from the served
schema, so a new Node type without node support (or without a maker here) fails."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from schema.relay import to_global_id
from tests.conftest import Actor, create_customer, gql

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def _ok(actor: Actor, query: str, variables: dict[str, Any], *path: str) -> Any:
    body = await actor.gql(query, variables)
    value: Any = body["data"]
    for key in path:
        assert value is not None, body
        value = value[key]
    return value


async def _customer_id(actor: Actor) -> str:
    customer = await create_customer(actor, name=f"Node {uuid.uuid4().hex[:6]}")
    assert customer["__typename"] == "CustomerPayload", customer
    return str(customer["customer"]["id"])


async def _invoice_id(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) {
            ... on InvoicePayload { invoice { id } } } }""",
            {
                "input": {
                    "customerId": await _customer_id(actor),
                    "lines": [{"description": "Rice 5kg", "quantity": "2", "unitPrice": "300"}],
                }
            },
            "createInvoice",
            "invoice",
            "id",
        )
    )


async def make_business(actor: Actor) -> str:
    return actor.business_id


async def make_user(actor: Actor) -> str:
    return actor.user_id


async def make_customer(actor: Actor) -> str:
    return await _customer_id(actor)


async def make_api_key(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
            ... on CreateApiKeyPayload { apiKey { id } } } }""",
            {"input": {"name": "till", "scopes": ["CUSTOMERS_READ"]}},
            "createApiKey",
            "apiKey",
            "id",
        )
    )


async def make_audit_event(actor: Actor) -> str:
    await make_api_key(actor)  # recorded in the audit trail
    edges = await _ok(
        actor, "{ auditEvents(first: 1) { edges { node { id } } } }", {}, "auditEvents", "edges"
    )
    assert edges, "no audit event recorded"
    return str(edges[0]["node"]["id"])


async def make_address(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($id: ID!, $input: AddressInput!) {
            addCustomerAddress(input: { customerId: $id, address: $input }) {
            ... on AddressPayload { address { id } } } }""",
            {"id": await _customer_id(actor), "input": {"city": "Pune", "street": "FC Road"}},
            "addCustomerAddress",
            "address",
            "id",
        )
    )


async def make_customer_import(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: ImportCustomersInput!) { importCustomers(input: $input) {
            ... on ImportPayload { customerImport { id } } } }""",
            {"input": {"csv": "name\nNode Import\n"}},
            "importCustomers",
            "customerImport",
            "id",
        )
    )


async def make_merge_record(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
            ... on MergePayload { merge { id } } } }""",
            {
                "input": {
                    "sourceId": await _customer_id(actor),
                    "targetId": await _customer_id(actor),
                }
            },
            "mergeCustomers",
            "merge",
            "id",
        )
    )


async def make_invoice(actor: Actor) -> str:
    return await _invoice_id(actor)


async def make_order(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
            ... on OrderPayload { order { id } } } }""",
            {
                "input": {
                    "customerId": await _customer_id(actor),
                    "lines": [{"description": "Rice 5kg", "quantity": "1", "unitPrice": "300"}],
                }
            },
            "createOrder",
            "order",
            "id",
        )
    )


async def make_payment(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
            ... on PaymentPayload { payment { id } } } }""",
            {
                "input": {
                    "invoiceId": await _invoice_id(actor),
                    "amount": "100",
                    "method": "CASH",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            "recordPayment",
            "payment",
            "id",
        )
    )


async def make_credit_note(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, amount: "50", reason: "damaged" }) {
            ... on CreditNotePayload { creditNote { id } } } }""",
            {"id": await _invoice_id(actor)},
            "issueCreditNote",
            "creditNote",
            "id",
        )
    )


async def make_invoice_draft(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: CreateDraftInput!) { createInvoiceDraft(input: $input) {
            ... on DraftPayload { draft { id } } } }""",
            {
                "input": {
                    "customerId": await _customer_id(actor),
                    "lines": [{"description": "Delivery", "unitPrice": "40"}],
                }
            },
            "createInvoiceDraft",
            "draft",
            "id",
        )
    )


async def make_invoice_template(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: TemplateInput!) { createInvoiceTemplate(input: $input) {
            ... on TemplatePayload { template { id } } } }""",
            {"input": {"name": f"Plain {uuid.uuid4().hex[:6]}"}},
            "createInvoiceTemplate",
            "template",
            "id",
        )
    )


async def make_purchase(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
            ... on PurchasePayload { purchase { id } } } }""",
            {"input": {"items": [{"name": "Tea", "unitPrice": "10"}], "method": "CASH"}},
            "recordPurchase",
            "purchase",
            "id",
        )
    )


async def make_recurring_schedule(actor: Actor) -> str:
    return str(
        await _ok(
            actor,
            """mutation($input: CreateRecurringScheduleInput!) {
            createRecurringSchedule(input: $input) {
            ... on RecurringSchedulePayload { schedule { id } } } }""",
            {
                "input": {
                    "customerId": await _customer_id(actor),
                    "frequency": "MONTHLY",
                    "startDate": "2035-01-31",
                    "lines": [{"description": "Rent", "quantity": "1", "unitPrice": "900"}],
                }
            },
            "createRecurringSchedule",
            "schedule",
            "id",
        )
    )


MAKERS: dict[str, Callable[[Actor], Awaitable[str]]] = {
    "Address": make_address,
    "ApiKey": make_api_key,
    "AuditEvent": make_audit_event,
    "Business": make_business,
    "CreditNote": make_credit_note,
    "Customer": make_customer,
    "CustomerImport": make_customer_import,
    "CustomerMergeRecord": make_merge_record,
    "Purchase": make_purchase,
    "RecurringSchedule": make_recurring_schedule,
    "Invoice": make_invoice,
    "Order": make_order,
    "InvoiceDraft": make_invoice_draft,
    "InvoiceTemplate": make_invoice_template,
    "Payment": make_payment,
    "User": make_user,
}


async def node_types(client: httpx.AsyncClient) -> set[str]:
    body = await gql(client, '{ __type(name: "Node") { possibleTypes { name } } }')
    return {t["name"] for t in body["data"]["__type"]["possibleTypes"]}


async def test_every_node_type_resolves_by_id_within_its_business(
    client: httpx.AsyncClient, owner: Actor, other_owner: Actor
) -> None:
    types = await node_types(client)
    assert types == set(MAKERS), (
        f"Node types without a maker here (and maybe without node support): "
        f"{sorted(types - set(MAKERS))}; makers of types no longer in the schema: "
        f"{sorted(set(MAKERS) - types)}"
    )
    for type_name in sorted(types):
        node_id = await MAKERS[type_name](owner)
        found = await _ok(owner, NODE, {"id": node_id}, "node")
        assert found == {"__typename": type_name, "id": node_id}, type_name
        seen_by_other = (await other_owner.gql(NODE, {"id": node_id}))["data"]["node"]
        assert seen_by_other is None, f"{type_name} leaked to another business"


async def test_missing_malformed_and_unknown_ids_are_null(owner: Actor) -> None:
    for node_id in (
        to_global_id("Customer", 987_654_321),  # well-formed, no such row
        to_global_id("Invoice", 987_654_321),
        to_global_id("NoSuchType", 1),
        "not-an-id",
        "",
    ):
        assert (await owner.gql(NODE, {"id": node_id}))["data"]["node"] is None, node_id


async def test_staff_see_colleagues_but_not_owner_only_records(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    """A user is visible to staff of a business they belong to; API keys and the audit
    trail only to owners and admins, as their list queries are."""
    key_id = await make_api_key(owner)
    invite = await owner.gql(
        """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
        ... on InvitePayload { token } } }""",
        {"input": {"email": f"staff-{uuid.uuid4().hex[:8]}@example.com", "role": "STAFF"}},
    )
    token = invite["data"]["inviteStaff"]["token"]
    accepted = await gql(
        client,
        """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
        __typename ... on AuthPayload { token user { id } } } }""",
        {"input": {"token": token, "name": "Staff", "password": "another horse battery"}},
    )
    auth = accepted["data"]["acceptInvitation"]
    assert auth["__typename"] == "AuthPayload", accepted
    staff = Actor(auth["token"], owner.business_id, auth["user"]["id"], "", "", owner.client)
    colleague = (await staff.gql(NODE, {"id": owner.user_id}))["data"]["node"]
    assert colleague == {"__typename": "User", "id": owner.user_id}
    assert (await staff.gql(NODE, {"id": key_id}))["data"]["node"] is None
    found = await _ok(owner, NODE, {"id": staff.user_id}, "node")
    assert found == {"__typename": "User", "id": staff.user_id}
