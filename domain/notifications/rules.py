"""The rules a ledger row passes just before its send, with what the pipeline loads for
them: the customer's consent (their preferences, and the STOP list the inbound-SMS
webhook keeps: both are read, so either record stops SMS), the marketing frequency cap
counted from the ledger, quiet hours (`policy.decide`; a message due in them raises
Deferral with the first allowed minute, OTPs exempt) and, for SMS, the business's
monthly quota or spend cap (`quota.check_send`). A refusal ends the message with a typed,
recorded reason; it is never sent. A payment reminder whose invoice was paid or voided
meanwhile is refused (`INVOICE_SETTLED`). Quiet hours hold the messages of business events
(invoices, receipts, orders) and campaign messages; a ready message sent as the person
stands there (the welcome SMS at registration) is not held, but still needs their
consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from domain.accounts import queries as accounts
from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.notifications import policy, preferences, quota, reminders
from domain.notifications.messages import REMINDER, TOPIC_EVENTS
from domain.notifications.models import NotificationLog
from domain.notifications.policy import Allowed, Blocked, Deferred
from domain.notifications.repository import NotificationRepository
from domain.notifications.vocabulary import Channel, MessageKind


class Deferral(Exception):
    """The message waits (quiet hours): the job runs again at `until` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class Refusal:
    status: str  # the ledger status it ends in: opted_out or failed
    code: str
    reason: str


def _as_business(tx: Tx, business_id: int) -> Tx:
    return Tx(tx.session, Viewer.system_actor("job:deliver", business_id=business_id), tx.clock)


async def check(tx: Tx, repo: NotificationRepository, row: NotificationLog) -> Refusal | None:
    if row.business_id is None:
        return None
    btx = _as_business(tx, row.business_id)
    channel = Channel(row.channel)
    reminder_of = row.invoice_id if row.event == REMINDER else None
    if reminder_of is not None and not await reminders.still_owed(btx, reminder_of):
        return Refusal(
            "failed", "INVOICE_SETTLED", "the invoice was paid or voided before the reminder"
        )
    if row.customer_id is None and channel is not Channel.SMS:
        return None
    timezone = await _timezone(btx)  # read once for the preferences and the quota
    if row.customer_id is not None:
        refusal = await _policy(btx, repo, row, channel, timezone)
        if refusal is not None:
            return refusal
    if channel is Channel.SMS:
        try:
            await quota.check_send(btx, row.segments or 1, timezone)
        except quota.QuotaExceeded as exc:
            return Refusal("failed", str(exc.code), exc.message)
    return None


async def _timezone(btx: Tx) -> str:
    business = await accounts.viewer_business(btx)
    if business is None:
        raise NotFound("business")
    return business.timezone


async def _policy(
    btx: Tx, repo: NotificationRepository, row: NotificationLog, channel: Channel, timezone: str
) -> Refusal | None:
    try:
        found = await preferences.get_preferences(btx, int(row.customer_id or 0), timezone)
    except NotFound:
        return None  # the customer is gone: the message was addressed when it was made
    kind = MessageKind(row.kind)
    sent_today = 0
    if kind is MessageKind.MARKETING:
        local = btx.now().astimezone(ZoneInfo(found.prefs.timezone))
        midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
        sent_today = await repo.marketing_sent_since(found.customer.id, midnight)
    decision = policy.decide(kind, channel, found.prefs, btx.now(), marketing_sent_today=sent_today)
    match decision:
        case Allowed():
            return None
        case Deferred(until) if row.event in TOPIC_EVENTS or kind is MessageKind.MARKETING:
            raise Deferral(until)
        case Deferred():
            return None  # a ready message: the person is there (welcome at the counter)
        case Blocked(reason) if reason is policy.BlockReason.NO_CONSENT:
            return Refusal(
                "opted_out",
                "NO_CONSENT",
                f"the customer does not accept {kind.value} messages by {channel.value}",
            )
        case _:
            return Refusal(
                "failed", "FREQUENCY_CAP", "the customer had today's campaign message already"
            )
