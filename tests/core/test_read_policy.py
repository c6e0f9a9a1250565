"""Each repository's read policy: a foreign business's ids answer "not found" through every
read path (invoicing, drafts, statements, notifications, customers, accounts), an API key
sees only its own business, a portal person (until the portal issue fills that branch in)
sees nothing, and an anonymous viewer is asked to sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.accounts.repository import AccountsRepository
from domain.core.audit import AuditEvent
from domain.core.errors import PermissionDenied, Unauthenticated
from domain.core.outbox import OutboxEvent
from domain.core.secrets import digest
from domain.core.viewer import STAFF_SCOPES, Viewer, ViewerKind
from domain.customers.models import Customer
from domain.customers.models import CustomerMerge as CustomerMergeRow
from domain.customers.repository import CustomerFilter, CustomerRepository, CustomerSort
from domain.customers.search_repository import CustomerSearchRepository
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import Invoice as InvoiceRow
from domain.invoicing.repository import InvoiceFilter, InvoiceRepository
from domain.invoicing.statement_repository import StatementRepository
from domain.notifications.repository import NotificationRepository
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, create_customer, viewer_of
from tests.invoicing.helpers import customer_id, invoice, pay

DAY = date(2020, 1, 1), date(2100, 1, 1)
AT = datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


@dataclass
class Books:
    """One business's rows, as ids."""

    customer: int
    invoice: int
    number: str
    token: str
    payment: int
    payment_key: str
    draft: int
    template: int
    event: str
    people: People


@dataclass
class People:
    """One business's customer and account rows, as ids and lookup keys."""

    business: int
    customer: int  # has a phone, an email, a tag and an address; another was merged into it
    phone: str
    number: str
    address: int
    merge: int
    user: int
    email: str
    api_key: int
    key_prefix: str
    invitation_hash: str
    audit_event: int


async def people_of(actor: Actor, runtime: Runtime) -> People:
    made = await create_customer(
        actor,
        name="Policy Target",
        phone="98450 66666",
        email="target@example.com",
        tags=["wholesale"],
        addresses=[{"city": "Pune"}],
    )
    assert made["__typename"] == "CustomerPayload", made
    target = made["customer"]
    source = await customer_id(actor, name="Policy Source", phone="98450 77777")
    merged = await actor.gql(
        """mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
        __typename } }""",
        {"input": {"sourceId": source, "targetId": target["id"]}},
    )
    assert merged["data"]["mergeCustomers"]["__typename"] == "MergePayload", merged
    key = await actor.gql(
        """mutation { createApiKey(input: {name: "till", scopes: [CUSTOMERS_READ]}) {
        ... on CreateApiKeyPayload { apiKey { id prefix } } } }"""
    )
    invited = await actor.gql(
        """mutation { inviteStaff(input: {email: "clerk@example.com"}) {
        ... on InvitePayload { token } } }"""
    )
    business_id = expect_id(actor.business_id, "Business")
    async with runtime.db.read() as session:
        merge_id = await session.scalar(
            select(CustomerMergeRow.id).where(CustomerMergeRow.business_id == business_id)
        )
        event_id = await session.scalar(
            select(AuditEvent.id).where(AuditEvent.business_id == business_id).limit(1)
        )
    api_key = key["data"]["createApiKey"]["apiKey"]
    return People(
        business=business_id,
        customer=expect_id(target["id"], "Customer"),
        phone=str(target["phone"]),
        number=target["number"],
        address=expect_id(target["addresses"][0]["id"], "Address"),
        merge=int(merge_id or 0),
        user=expect_id(actor.user_id, "User"),
        email=actor.email,
        api_key=expect_id(api_key["id"], "ApiKey"),
        key_prefix=api_key["prefix"],
        invitation_hash=digest(invited["data"]["inviteStaff"]["token"]),
        audit_event=int(event_id or 0),
    )


async def books_of(actor: Actor, runtime: Runtime) -> Books:
    cid = await customer_id(actor, name="Policy Customer", phone="98450 55555")
    made = await invoice(actor, cid, [{"description": "Urea", "quantity": "2", "unitPrice": "266"}])
    assert made["__typename"] == "InvoicePayload", made
    inv = made["invoice"]
    paid = await pay(actor, inv["id"], "100", "policy-1")
    assert paid["__typename"] == "PaymentPayload", paid
    note = await actor.gql(
        """mutation($id: ID!) { issueCreditNote(input: { invoiceId: $id, amount: "10", reason: "damaged" }) {
        __typename } }""",
        {"id": inv["id"]},
    )
    assert note["data"]["issueCreditNote"]["__typename"] == "CreditNotePayload", note
    sent = await actor.gql(
        """mutation($id: ID!) { sendInvoice(input: {invoiceId: $id}) {
        __typename ... on SendInvoicePayload { requestId } } }""",
        {"id": inv["id"]},
    )
    draft = await actor.gql(
        """mutation($c: ID!) { createInvoiceDraft(input: {customerId: $c,
        lines: [{description: "Hosting", quantity: "1", unitPrice: "15000"}]}) {
        ... on DraftPayload { draft { id } } } }""",
        {"c": cid},
    )
    draft_id = draft["data"]["createInvoiceDraft"]["draft"]["id"]
    await actor.gql(
        """mutation($id: ID!) { updateInvoiceDraft(input: {id: $id, notes: "v2"}) {
        __typename } }""",
        {"id": draft_id},
    )
    template = await actor.gql(
        """mutation { createInvoiceTemplate(input: {name: "Classic"}) {
        __typename ... on TemplatePayload { template { id } } } }"""
    )
    invoice_id = expect_id(inv["id"], "Invoice")
    async with runtime.db.read() as session:
        token = await session.scalar(
            select(InvoiceRow.payment_token).where(InvoiceRow.id == invoice_id)
        )
    return Books(
        customer=expect_id(cid, "Customer"),
        invoice=invoice_id,
        number=inv["number"],
        token=str(token),
        payment=expect_id(paid["payment"]["id"], "Payment"),
        payment_key="policy-1",
        draft=expect_id(draft_id, "InvoiceDraft"),
        template=expect_id(
            template["data"]["createInvoiceTemplate"]["template"]["id"], "InvoiceTemplate"
        ),
        event=sent["data"]["sendInvoice"]["requestId"],
        people=await people_of(actor, runtime),
    )


async def reads(runtime: Runtime, viewer: Viewer, b: Books) -> dict[str, Any]:
    """Every read path of the invoicing, draft, statement and notification repositories
    for one business's ids, as this viewer: what each found (falsy when nothing)."""
    async with runtime.db.read() as session:
        inv = InvoiceRepository(session, viewer)
        drafts = DraftRepository(session, viewer)
        st = StatementRepository(session, viewer)
        notes = NotificationRepository(session, viewer)
        mine = InvoiceFilter(customer_id=b.customer)
        ids = [b.invoice]
        totals = await inv.customers_totals([b.customer], "INR")
        return (
            {
                "get": await inv.get(b.invoice),
                "by_number": await inv.by_number(b.number),
                "page": (await inv.page(mine, 10, None, "id", True))[0],
                "count": await inv.count(mine),
                "totals": (await inv.totals(mine))[0],
                "lines_for": await inv.lines_for(ids),
                "lines_as_written": await inv.lines_as_written(ids),
                "line_rows_for": await inv.line_rows_for(ids),
                "history": await inv.history(b.customer, 10),
                "payments_for": await inv.payments_for(ids),
                "credit_notes_for": await inv.credit_notes_for(ids),
                "events_for": await inv.events_for(ids),
                "newest": await inv.newest_per_customer([b.customer], 5),
                "newest_rows": await inv.newest_rows_per_customer([b.customer], 5),
                "payment": await inv.payment(b.payment),
                "payment_by_key": await inv.payment_by_key(b.payment_key),
                "customers_totals": totals[b.customer]["count"],
                # every currency but KES: the customer's rupee invoice
                "other_currency_totals": await inv.other_currency_totals([b.customer], "KES"),
                "draft": await drafts.draft(b.draft),
                "versions": await drafts.versions(b.draft),
                "templates": await drafts.templates(),
                "template": await drafts.template(b.template),
                "currencies": await st.currencies(b.customer),
                "entries": await st.entries(b.customer, "INR", *DAY, *AT),
                "opening": await st.opening(b.customer, "INR", date(2100, 1, 1), AT[1]),
                "event": await notes.event(b.event),
            }
            | await customer_reads(session, viewer, b.people)
            | await account_reads(session, viewer, b.people)
        )


async def customer_reads(session: Any, viewer: Viewer, p: People) -> dict[str, Any]:
    """Every read path of the customer repository for one business's ids."""
    repo = CustomerSearchRepository(session, viewer)
    theirs = await session.get(Customer, p.customer)  # as its duplicates are looked for
    everyone = CustomerFilter()
    by_name = CustomerFilter(search="target", region="IN")
    return {
        "customer": await repo.get(p.customer),
        "customers": await repo.get_many([p.customer]),
        "by_phone": await repo.by_phone(p.phone),
        "with_phones": await repo.with_phones([p.phone]),
        "customer_page": (await repo.page(everyone, CustomerSort.NAME, False, 10, None))[0],
        "customer_search_page": (await repo.page(by_name, CustomerSort.NAME, False, 10, None))[0],
        "customer_count": await repo.count(everyone),
        "exact_matches": await repo.exact_matches(None, p.phone, None, p.number, 10),
        "suggestions": await repo.suggestions("target", "IN", [], 10),
        "duplicate_candidates": await repo.duplicate_candidates(theirs),
        "customer_stats": (await repo.stats())["total"],
        "export_batch": await repo.export_batch(0, 10),
        "addresses_for": await repo.addresses_for([p.customer]),
        "address": await repo.address(p.address),
        "merge": await repo.merge(p.merge),
    }


async def account_reads(session: Any, viewer: Viewer, p: People) -> dict[str, Any]:
    """Every read path of the accounts repository for one business's ids; lists that are
    always the viewer's own (members, keys, audit trail) as the ids of `p`'s rows in them."""
    repo = AccountsRepository(session, viewer)
    mine = viewer.business_id == p.business
    return {
        "user": await repo.user(p.user),
        "user_by_email": await repo.user_by_email(p.email),
        "business": await repo.business() if mine else None,
        "businesses": await repo.businesses([p.business]),
        "membership": await repo.membership(p.user),
        "member_by_email": await repo.member_by_email(p.email),
        "memberships_of_user": await repo.memberships_of_user(p.user),
        "memberships_with_businesses": await repo.memberships_with_businesses(p.user),
        "members": [m.user_id for m, _ in await repo.members() if m.user_id == p.user],
        "api_key": await repo.api_key(p.api_key),
        "api_key_by_prefix": await repo.api_key_by_prefix(p.key_prefix),
        "api_keys": [k.id for k in await repo.api_keys() if k.id == p.api_key],
        "invitation_by_hash": await repo.invitation_by_hash(p.invitation_hash),
        "audit_event": await repo.audit_event(p.audit_event),
        "audit_events": [
            e.id for e in await repo.audit_events(1000, None, None) if e.id == p.audit_event
        ],
    }


def key_viewer(actor: Actor) -> Viewer:
    return Viewer(
        ViewerKind.API_KEY,
        api_key_id=1,
        business_id=expect_id(actor.business_id, "Business"),
        scopes=STAFF_SCOPES,
    )


async def test_own_viewers_see_every_read_path(owner: Actor, runtime: Runtime) -> None:
    """The baseline: the owner and the business's own API key find every row (so the
    empty answers below are the policy at work, not a missing row)."""
    b = await books_of(owner, runtime)
    for viewer in (viewer_of(owner), key_viewer(owner)):
        found = await reads(runtime, viewer, b)
        assert [k for k, v in found.items() if not v] == [], found


async def test_foreign_business_finds_nothing(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    b = await books_of(owner, runtime)
    for viewer in (viewer_of(other_owner), key_viewer(other_owner)):
        found = await reads(runtime, viewer, b)
        assert [k for k, v in found.items() if v] == [], found


async def test_foreign_ids_answer_not_found_over_graphql(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    b = await books_of(owner, runtime)
    from schema.relay import to_global_id

    inv = to_global_id("Invoice", b.invoice)
    body = await other_owner.gql(
        """query($id: ID!, $n: String!) { invoice(id: $id) { id }
        invoiceByNumber(number: $n) { id } }""",
        {"id": inv, "n": b.number},
    )
    assert body["data"] == {"invoice": None, "invoiceByNumber": None}
    sent = await other_owner.gql(
        """mutation($id: ID!) { sendInvoice(input: {invoiceId: $id}) {
        __typename ... on UserError { code } } }""",
        {"id": inv},
    )
    assert sent["data"]["sendInvoice"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_a_portal_person_sees_nothing_yet(owner: Actor, runtime: Runtime) -> None:
    """The person branch of each policy answers no rows until the portal fills it in."""
    b = await books_of(owner, runtime)
    person = Viewer(
        ViewerKind.PERSON, person_id=1, business_id=expect_id(owner.business_id, "Business")
    )
    found = await reads(runtime, person, b)
    assert [k for k, v in found.items() if v] == [], found


async def test_anonymous_viewers_are_refused(owner: Actor, runtime: Runtime) -> None:
    b = await books_of(owner, runtime)
    async with runtime.db.read() as session:
        for read in (
            InvoiceRepository(session, Viewer.anonymous()).get(b.invoice),
            DraftRepository(session, Viewer.anonymous()).draft(b.draft),
            StatementRepository(session, Viewer.anonymous()).currencies(b.customer),
            NotificationRepository(session, Viewer.anonymous()).event(b.event),
            CustomerRepository(session, Viewer.anonymous()).get(b.customer),
            AccountsRepository(session, Viewer.anonymous()).user(b.people.user),
            AccountsRepository(session, Viewer.anonymous()).user_by_email(b.people.email),
        ):
            with pytest.raises(Unauthenticated):
                await read


async def test_a_system_actor_for_one_business_reads_only_it(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    b = await books_of(owner, runtime)
    theirs = Viewer.system_actor(
        "download", business_id=expect_id(other_owner.business_id, "Business")
    )
    found = await reads(runtime, theirs, b)
    assert [k for k, v in found.items() if v] == [], found
    async with runtime.db.read() as session:
        # a trusted lookup with no business (the payment link) finds by its token only
        link = InvoiceRepository(session, Viewer.system_actor("payment-link"))
        assert (await link.by_payment_token(b.token)).id == b.invoice  # type: ignore[union-attr]
        assert await link.by_payment_token("not-a-token") is None
        event = await NotificationRepository(session, Viewer.system_actor("job")).event(b.event)
        assert isinstance(event, OutboxEvent)


async def test_customers_have_no_reader_without_a_business(owner: Actor, runtime: Runtime) -> None:
    """No trusted actor reads customers across businesses: a system actor must act for one."""
    b = await books_of(owner, runtime)
    async with runtime.db.read() as session:
        with pytest.raises(PermissionDenied):
            await CustomerRepository(session, Viewer.system_actor("job")).get(b.customer)


async def test_sign_in_lookups_run_as_the_named_sign_in_actor(
    owner: Actor, other_owner: Actor, runtime: Runtime
) -> None:
    """Before there is a viewer, the sign-in actor finds a user by email and a session by
    its token, in any business. Afterwards a session token is its user's alone: another
    business's staff and the business's own API keys never find it."""
    p = await people_of(owner, runtime)
    token_hash = digest(owner.token)
    async with runtime.db.read() as session:
        sign_in = AccountsRepository.for_sign_in(session)
        assert sign_in.viewer.kind is ViewerKind.SYSTEM and sign_in.viewer.business_id is None
        assert (await sign_in.user_by_email(p.email)).id == p.user  # type: ignore[union-attr]
        token = await sign_in.token_by_hash(token_hash)
        assert token is not None and token.user_id == p.user
        assert (await sign_in.api_key_by_prefix(p.key_prefix)).id == p.api_key  # type: ignore[union-attr]
        owns = AccountsRepository(session, viewer_of(owner))
        assert (await owns.token_by_hash(token_hash)) is not None
        for viewer in (viewer_of(other_owner), key_viewer(owner), key_viewer(other_owner)):
            assert await AccountsRepository(session, viewer).token_by_hash(token_hash) is None


async def test_staff_see_their_own_memberships_in_every_business(
    owner: Actor, client: Any, runtime: Runtime
) -> None:
    """A user's memberships elsewhere are theirs to read; the members of the business they
    act for stay that business's."""
    from tests.conftest import sign_up

    elsewhere = await sign_up(client, "KE")
    invited = await elsewhere.gql(
        """mutation($e: String!) { inviteStaff(input: {email: $e}) {
        ... on InvitePayload { token } } }""",
        {"e": owner.email},
    )
    accepted = await owner.gql(
        """mutation($t: String!, $p: String!) { acceptInvitation(input: {token: $t,
        name: "Owner", password: $p}) { __typename } }""",
        {"t": invited["data"]["inviteStaff"]["token"], "p": owner.password},
    )
    assert accepted["data"]["acceptInvitation"]["__typename"] == "AuthPayload", accepted
    mine = viewer_of(owner)
    assert mine.user_id is not None
    async with runtime.db.read() as session:
        repo = AccountsRepository(session, mine)
        both = await repo.memberships_with_businesses(mine.user_id)
        assert sorted(b.id for _, b in both) == sorted(
            [mine.business_id, expect_id(elsewhere.business_id, "Business")]
        )
        assert {m.business_id for m, _ in await repo.members()} == {mine.business_id}
        assert (await repo.membership(mine.user_id)).business_id == mine.business_id  # type: ignore[union-attr]
        # the other business's owner is not among this business's people
        theirs = expect_id(elsewhere.user_id, "User")
        assert await repo.user(theirs) is None
        assert await repo.membership(theirs) is None
