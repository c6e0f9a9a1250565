"""Invoicing mutations: create, send, void, payments, credit notes."""

from __future__ import annotations

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import payments, sending, service
from domain.invoicing.invoice_data import line_data
from domain.notifications.upfront import compose_upfront
from resolvers.access import needs
from resolvers.base import Info, mutate
from resolvers.invoicing.views import _view
from schema.errors import result
from schema.relay import expect_id
from schema.types.invoicing.inputs import (
    ApplyCustomerCreditInput,
    CreateInvoiceInput,
    IssueCreditNoteInput,
    RecordPaymentInput,
    ReversePaymentInput,
    SendInvoiceInput,
    VoidInvoiceInput,
)
from schema.types.invoicing.objects import (
    CreditNote,
    Payment,
)
from schema.types.invoicing.payloads import (
    CancelScheduledSendPayload,
    CreditNotePayload,
    InvoicePayload,
    PaymentPayload,
    SendInvoicePayload,
)
from schema.types.invoicing.sends import CancelScheduledSendInput, InvoiceSend


@strawberry.type
class InvoiceMutations:
    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])
    async def create_invoice(self, info: Info, input: CreateInvoiceInput) -> result(
        "CreateInvoiceResult", InvoicePayload
    ):
        async def run(tx: Tx) -> InvoicePayload:
            data = service.InvoiceData(
                customer_id=expect_id(input.customer_id, "Customer", "customerId"),
                lines=[line_data(line) for line in input.lines],
                currency=input.currency,
                issue_date=input.issue_date,
                due_date=input.due_date,
                prices_include_tax=input.prices_include_tax,
                place_of_supply=input.place_of_supply,
                discount_percent=input.discount_percent,
                discount_amount=input.discount_amount,
                notes=input.notes,
                terms=input.terms,
            )
            outcome = await idempotency.once(
                tx,
                "createInvoice",
                input.idempotency_key,
                data,
                create=lambda: service.create_invoice(tx, data),
                load=lambda id: service.get_invoice(tx, id),
            )
            return InvoicePayload(
                invoice=await _view(info, tx, outcome.record), replayed=outcome.replayed
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Idempotent: the same key replays; never below a zero balance.",
        extensions=[needs(Scope.PAYMENTS_WRITE)],
    )
    async def record_payment(self, info: Info, input: RecordPaymentInput) -> result(
        "RecordPaymentResult", PaymentPayload
    ):
        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.record_payment(
                tx,
                payments.PaymentData(
                    invoice_id=expect_id(input.invoice_id, "Invoice", "invoiceId"),
                    amount=input.amount,
                    method=input.method.value,
                    idempotency_key=input.idempotency_key,
                    reference=input.reference,
                    received_at=input.received_at,
                    keep_excess_as_credit=input.keep_excess_as_credit,
                ),
            )
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)

    @strawberry.mutation(extensions=[needs(Scope.PAYMENTS_WRITE)])
    async def apply_customer_credit(self, info: Info, input: ApplyCustomerCreditInput) -> result(
        "ApplyCustomerCreditResult", PaymentPayload
    ):
        invoice_id, idempotency_key = input.invoice_id, input.idempotency_key

        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.apply_customer_credit(
                tx, expect_id(invoice_id, "Invoice", "invoiceId"), idempotency_key
            )
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)

    @strawberry.mutation(description="Owner/admin.", extensions=[needs(Scope.PAYMENTS_WRITE)])
    async def reverse_payment(self, info: Info, input: ReversePaymentInput) -> result(
        "ReversePaymentResult", PaymentPayload
    ):
        id, reason = input.id, input.reason

        async def run(tx: Tx) -> PaymentPayload:
            outcome = await payments.reverse_payment(tx, expect_id(id, "Payment"), reason)
            return PaymentPayload(
                payment=Payment.from_row(outcome.payment),
                invoice=await _view(info, tx, outcome.invoice),
                replayed=False,
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin. Omit amount to credit everything still creditable.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def issue_credit_note(self, info: Info, input: IssueCreditNoteInput) -> result(
        "IssueCreditNoteResult", CreditNotePayload
    ):
        invoice_id, reason, amount = input.invoice_id, input.reason, input.amount

        async def run(tx: Tx) -> CreditNotePayload:
            note, invoice = await payments.issue_credit_note(
                tx, expect_id(invoice_id, "Invoice", "invoiceId"), amount, reason
            )
            return CreditNotePayload(
                credit_note=CreditNote.from_row(note, invoice.currency),
                invoice=await _view(info, tx, invoice),
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Not once paid: issue a credit note instead.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def void_invoice(self, info: Info, input: VoidInvoiceInput) -> result(
        "VoidInvoiceResult", InvoicePayload
    ):
        id, reason = input.id, input.reason

        async def run(tx: Tx) -> InvoicePayload:
            return InvoicePayload(
                invoice=await _view(
                    info, tx, await service.void_invoice(tx, expect_id(id, "Invoice"), reason)
                )
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Sends now, or at `scheduledAt` (cancellable until it starts: "
        "cancelScheduledSend). The status stays as it was until a provider accepts a message. "
        "With an idempotencyKey a retry replays the first send.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def send_invoice(self, info: Info, input: SendInvoiceInput) -> result(
        "SendInvoiceResult", SendInvoicePayload
    ):
        async def run(tx: Tx) -> SendInvoicePayload:
            invoice_id = expect_id(input.invoice_id, "Invoice", "invoiceId")
            request = (invoice_id, input.channels, input.include_pdf, input.message)
            outcome = await idempotency.once(
                tx,
                "sendInvoice",
                input.idempotency_key,
                (*request, input.scheduled_at),
                create=lambda: sending.send_invoice(
                    tx,
                    invoice_id,
                    input.channels,
                    include_pdf=input.include_pdf,
                    message=input.message,
                    scheduled_at=input.scheduled_at,
                    public_url=info.context.rt.settings.public_url,
                ),
                load=lambda id: sending.get_send(tx, id),
            )
            send = outcome.record
            if not outcome.replayed and send.request_id:
                rt = info.context.rt  # the messages now, so the job starts at the attempt
                public_url = rt.settings.public_url.rstrip("/")
                await compose_upfront(tx, rt.providers, send.request_id, public_url)
            invoice = await service.get_invoice(tx, send.invoice_id)
            return SendInvoicePayload(
                invoice=await _view(info, tx, invoice),
                request_id=send.request_id or "",
                send=InvoiceSend.of(send),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Cancels a scheduled send that has not started; once started it is "
        "refused (ConflictError SEND_STARTED). Cancelling twice answers the cancelled send.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def cancel_scheduled_send(self, info: Info, input: CancelScheduledSendInput) -> result(
        "CancelScheduledSendResult", CancelScheduledSendPayload
    ):
        send_id = input.id

        async def run(tx: Tx) -> CancelScheduledSendPayload:
            send = await sending.cancel_scheduled_send(tx, expect_id(send_id, "InvoiceSend"))
            invoice = await service.get_invoice(tx, send.invoice_id)
            return CancelScheduledSendPayload(
                send=InvoiceSend.of(send), invoice=await _view(info, tx, invoice)
            )

        return await mutate(info, run)
