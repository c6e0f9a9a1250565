"""Payment reminders: the business's policy (read, update) and `remindNow`."""

from __future__ import annotations

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import service
from domain.notifications import reminders
from resolvers.access import needs
from resolvers.base import Info, mutate, reading
from resolvers.invoicing.views import _view
from schema.errors import result
from schema.relay import expect_id
from schema.types.invoicing.payloads import RemindNowPayload
from schema.types.notifications.reminders import (
    InvoiceReminder,
    ReminderPolicy,
    ReminderPolicyPayload,
    RemindNowInput,
    UpdateReminderPolicyInput,
)


@strawberry.type
class ReminderQueries:
    @strawberry.field(
        description="When invoices get payment reminders (the defaults until changed).",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def reminder_policy(self, info: Info) -> ReminderPolicy:
        async with reading(info) as tx:
            return ReminderPolicy.of(await reminders.get_policy(tx))


@strawberry.type
class ReminderMutations:
    @strawberry.mutation(
        description="Changes the fields given; out-of-range values are a ValidationError.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def update_reminder_policy(self, info: Info, input: UpdateReminderPolicyInput) -> result(
        "UpdateReminderPolicyResult", ReminderPolicyPayload
    ):
        async def run(tx: Tx) -> ReminderPolicyPayload:
            current = await reminders.get_policy(tx)
            saved = await reminders.update_policy(tx, input.apply(current))
            return ReminderPolicyPayload(policy=ReminderPolicy.of(saved))

        return await mutate(info, run)

    @strawberry.mutation(
        description="A payment reminder now, outside the schedule. Refused on a paid "
        "(INVOICE_PAID) or void (INVOICE_VOID) invoice.",
        extensions=[needs(Scope.NOTIFICATIONS_WRITE)],
    )
    async def remind_now(self, info: Info, input: RemindNowInput) -> result(
        "RemindNowResult", RemindNowPayload
    ):
        raw_id, key = input.invoice_id, input.idempotency_key

        async def run(tx: Tx) -> RemindNowPayload:
            invoice_id = expect_id(raw_id, "Invoice", "invoiceId")
            outcome = await idempotency.once(
                tx,
                "remindNow",
                key,
                invoice_id,
                create=lambda: reminders.remind_now(
                    tx, invoice_id, info.context.rt.settings.public_url
                ),
                load=lambda id: reminders.get_reminder(tx, id),
            )
            invoice = await service.get_invoice(tx, invoice_id)
            return RemindNowPayload(
                reminder=InvoiceReminder.of(outcome.record),
                invoice=await _view(info, tx, invoice),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)
