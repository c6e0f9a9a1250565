"""GraphQL objects of the delivery ledger: messages with their status history, an
invoice's delivery tracking, the delivery report and live status updates."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.notifications.ledger_reads import ChannelReport, Message
from schema.relay import Edge, PageInfo, to_global_id


@strawberry.type(description="One status a message went through.")
class NotificationStatusEntry:
    status: str
    at: datetime
    error_code: str | None = strawberry.field(description="The provider's, when it gave one.")
    source: str = strawberry.field(description="api, webhook, lookup or job.")


@strawberry.type(
    description="One message on the delivery ledger (one per event, customer and channel)."
)
class NotificationMessage:
    id: strawberry.ID
    channel: str = strawberry.field(description="sms or email.")
    kind: str = strawberry.field(description="transactional or marketing.")
    provider: str
    provider_message_id: str | None
    recipient: str
    subject: str | None
    body: str
    segments: int | None
    status: str = strawberry.field(
        description="pending, sending, accepted, sent, delivered, undelivered, failed, "
        "bounced, opted_out, opened or clicked; only ever moves forward."
    )
    error_code: str | None
    event: str | None = strawberry.field(description="The outbox topic it was sent for.")
    customer_id: strawberry.ID | None
    invoice_id: strawberry.ID | None
    order_id: strawberry.ID | None
    attempts: int
    resends: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    history: list[NotificationStatusEntry] = strawberry.field(description="Oldest first.")

    @classmethod
    def of(cls, m: Message) -> NotificationMessage:
        r = m.row

        def gid(kind: str, value: int | None) -> strawberry.ID | None:
            return to_global_id(kind, value) if value is not None else None

        return cls(
            id=to_global_id("NotificationMessage", r.id),
            channel=r.channel,
            kind=r.kind,
            provider=r.provider,
            provider_message_id=r.provider_message_id,
            recipient=r.recipient,
            subject=r.subject,
            body=r.body,
            segments=r.segments,
            status=r.status,
            error_code=r.error_code,
            event=r.event,
            customer_id=gid("Customer", r.customer_id),
            invoice_id=gid("Invoice", r.invoice_id),
            order_id=gid("Order", r.order_id),
            attempts=r.attempts,
            resends=r.resends,
            created_at=r.created_at,
            sent_at=r.sent_at,
            delivered_at=r.delivered_at,
            opened_at=r.opened_at,
            clicked_at=r.clicked_at,
            history=[
                NotificationStatusEntry(
                    status=h.status, at=h.at, error_code=h.error_code, source=h.source
                )
                for h in m.history
            ],
        )


@strawberry.type
class NotificationMessageConnection:
    edges: list[Edge[NotificationMessage]]
    page_info: PageInfo


@strawberry.type(description="How an invoice went out on one channel: its latest message.")
class InvoiceDelivery:
    channel: str
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    error_code: str | None
    message: NotificationMessage

    @classmethod
    def of(cls, m: Message) -> InvoiceDelivery:
        r = m.row
        return cls(
            channel=r.channel,
            status=r.status,
            sent_at=r.sent_at,
            delivered_at=r.delivered_at,
            opened_at=r.opened_at,
            clicked_at=r.clicked_at,
            error_code=r.error_code,
            message=NotificationMessage.of(m),
        )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(
    description="Delivery counts of a period; rates are fractions (0..1), "
    "null when there is nothing to divide by."
)
class DeliveryCounts:
    channel: str | None = strawberry.field(description="Null on the totals.")
    messages: int
    sent: int = strawberry.field(description="Accepted by the provider.")
    delivered: int
    failed: int = strawberry.field(description="Failed or undelivered.")
    bounced: int
    opted_out: int
    opened: int
    clicked: int

    @strawberry.field(description="delivered / sent")
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.sent)

    @strawberry.field(description="(failed + bounced) / messages")
    def failure_rate(self) -> float | None:
        return _rate(self.failed + self.bounced, self.messages)

    @strawberry.field(description="opened / delivered")
    def open_rate(self) -> float | None:
        return _rate(self.opened, self.delivered)

    @strawberry.field(description="clicked / delivered")
    def click_rate(self) -> float | None:
        return _rate(self.clicked, self.delivered)

    @strawberry.field(description="opted_out / messages")
    def opt_out_rate(self) -> float | None:
        return _rate(self.opted_out, self.messages)


@strawberry.type
class NotificationReport:
    since: datetime = strawberry.field(name="from")
    until: datetime = strawberry.field(name="to")
    total: DeliveryCounts
    channels: list[DeliveryCounts]

    @classmethod
    def of(cls, since: datetime, until: datetime, rows: list[ChannelReport]) -> NotificationReport:
        channels = [DeliveryCounts(**vars(r)) for r in rows]
        sums = {
            f: sum(getattr(r, f) for r in rows)
            for f in ChannelReport.__dataclass_fields__
            if f != "channel"
        }
        return cls(
            since=since, until=until, total=DeliveryCounts(channel=None, **sums), channels=channels
        )


@strawberry.type(description="A message's status moved forward; `cursor` resumes after it.")
class NotificationUpdate:
    cursor: str
    status: str = strawberry.field(description="The status this event moved to.")
    error_code: str | None
    message: NotificationMessage = strawberry.field(description="The message as it is now.")
