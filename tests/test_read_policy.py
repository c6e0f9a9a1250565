"""Each repository's read policy: a foreign business's ids answer "not found" through every
read path, an API key sees only its own business, a portal person (until the portal issue
fills that branch in) sees nothing, and an anonymous viewer is asked to sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.core.errors import Unauthenticated
from domain.core.outbox import OutboxEvent
from domain.core.viewer import STAFF_SCOPES, Viewer, ViewerKind
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import Invoice as InvoiceRow
from domain.invoicing.repository import InvoiceFilter, InvoiceRepository
from domain.invoicing.statement_repository import StatementRepository
from domain.notifications.repository import NotificationRepository
from khata.runtime import Runtime
from schema.relay import expect_id
from tests.conftest import Actor, viewer_of
from tests.test_invoicing import customer_id, invoice, pay

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
        return {
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
