"""The delivery ledger for staff: a customer's message history, an invoice's delivery
tracking, the delivery report, and live status updates on the business's stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from domain.core.errors import NotFound
from domain.core.stream import StreamEvent
from domain.core.viewer import Scope
from domain.notifications import events, ledger_reads
from resolvers.access import needs
from resolvers.base import Info, reading
from resolvers.stream import live_updates
from schema.relay import Edge, expect_id, page_info
from schema.types.notifications.ledger import (
    InvoiceDelivery,
    NotificationMessage,
    NotificationMessageConnection,
    NotificationReport,
    NotificationUpdate,
)


@strawberry.type
class LedgerQueries:
    @strawberry.field(
        description="A customer's messages, newest first, each with its status history. "
        "Keyset-paginated.",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def customer_notifications(
        self,
        info: Info,
        customer_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
    ) -> NotificationMessageConnection:
        cid = expect_id(customer_id, "Customer", "customerId")
        cap = info.context.rt.settings.max_page_size
        async with reading(info) as tx:
            page = await ledger_reads.customer_messages(tx, cid, first, after, cap)
        cursors = list(page.cursors)
        return NotificationMessageConnection(
            edges=[
                Edge(cursor=c, node=NotificationMessage.of(m))
                for m, c in zip(page.items, cursors, strict=True)
            ],
            page_info=page_info(cursors, page.has_next_page, page.has_previous_page),
        )

    @strawberry.field(
        description="How an invoice went out: per channel its latest message's status and "
        "when it was sent, delivered, opened and clicked.",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def invoice_deliveries(
        self, info: Info, invoice_id: strawberry.ID
    ) -> list[InvoiceDelivery]:
        row_id = expect_id(invoice_id, "Invoice", "invoiceId")
        async with reading(info) as tx:
            return [
                InvoiceDelivery.of(m) for m in await ledger_reads.invoice_deliveries(tx, row_id)
            ]

    @strawberry.field(
        description="Messages created in [from, to): sent, delivered, failed, opened, "
        "clicked, bounced, opted out, with rates; per channel and in total.",
        extensions=[needs(Scope.NOTIFICATIONS_READ)],
    )
    async def notification_report(
        self,
        info: Info,
        since: Annotated[datetime, strawberry.argument(name="from")],
        until: Annotated[datetime, strawberry.argument(name="to")],
    ) -> NotificationReport:
        async with reading(info) as tx:
            rows = await ledger_reads.report(tx, since, until)
        return NotificationReport.of(since, until, rows)


@strawberry.type
class LedgerSubscriptions:
    @strawberry.subscription(
        description="Status changes of the active business's messages as they happen "
        "(provider accepts, delivery receipts, opens, clicks, failures). Optional filters; "
        "`after` resumes after an update's cursor."
    )
    async def notification_updates(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        invoice_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[NotificationUpdate, None]:
        want_customer = expect_id(customer_id, "Customer", "customerId") if customer_id else None
        want_invoice = expect_id(invoice_id, "Invoice", "invoiceId") if invoice_id else None

        async def build(event: StreamEvent) -> NotificationUpdate | None:
            p = event.payload
            if event.topic != events.STATUS_CHANGED:
                return None
            if want_customer is not None and p.get("customerId") != want_customer:
                return None
            if want_invoice is not None and p.get("invoiceId") != want_invoice:
                return None
            async with reading(info) as tx:
                try:
                    found = await ledger_reads.message(tx, p["notificationId"])
                except NotFound:
                    return None
            return NotificationUpdate(
                cursor=event.cursor,
                status=p["status"],
                error_code=p.get("errorCode"),
                message=NotificationMessage.of(found),
            )

        async for update in live_updates(info, Scope.NOTIFICATIONS_READ, after, build):
            yield update
