"""An invoice's sends in the schema: each `sendInvoice`, sent at once or at its time."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.invoicing.send_models import InvoiceSend as SendRow
from domain.invoicing.send_models import SendStatus
from schema.relay import to_global_id

InvoiceSendStatus = strawberry.enum(
    SendStatus,
    name="InvoiceSendStatus",
    description="SCHEDULED waits for sendAt (cancellable); STARTED went to the "
    "notification pipeline (its delivery is on the ledger); CANCELLED never went.",
)


@strawberry.type
class InvoiceSend:
    id: strawberry.ID
    status: InvoiceSendStatus  # type: ignore[valid-type]
    send_at: datetime
    channels: list[str]
    request_id: str | None = strawberry.field(
        description="The outbox event of the send: its ledger rows carry it."
    )
    created_at: datetime
    started_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, s: SendRow) -> InvoiceSend:
        return cls(
            id=strawberry.ID(to_global_id("InvoiceSend", s.id)),
            status=SendStatus(s.status),
            send_at=s.send_at,
            channels=list(s.channels),
            request_id=s.request_id,
            created_at=s.created_at,
            started_at=s.started_at,
            cancelled_at=s.cancelled_at,
        )


@strawberry.input
class CancelScheduledSendInput:
    id: strawberry.ID = strawberry.field(description="The InvoiceSend's id.")
