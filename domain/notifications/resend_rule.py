"""The rule for a provider call whose outcome we never learned (the worker died between the
provider's accept and our commit, or the call timed out): its attempt row was committed
before the call, so the next run finds it and asks the provider (look-up by the attempt's
id or recipient and text). Found: adopted, nothing is sent again. Not found — the provider
cannot tell — a transactional message is sent once more (at most once per message: a
customer may rarely get an invoice SMS twice, never miss it), a marketing message is never
resent (it ends `failed` with error code `UNCERTAIN`). A 5xx is not such a case: the provider
answered, so after the look-up (a 5xx may still have been taken) it is an ordinary retry
and spends nothing.

The pipeline (domain/notifications/pipeline.py) calls `reconciled` with the look-up's
answer, in its own transaction, before any new attempt of the message."""

from __future__ import annotations

from domain.core.tx import Tx
from domain.notifications.models import NotificationAttempt
from domain.notifications.outcomes import accept, settle
from domain.notifications.port import Delivery
from domain.notifications.repository import NotificationRepository
from domain.notifications.service import Step

UNCERTAIN = "UNCERTAIN"


def answered(attempt: NotificationAttempt) -> bool:
    """The provider answered the call with an error status (a 5xx: code "500"...), so
    the outcome was known when it ended; only a call that never got an answer (the worker
    died, or it timed out) leaves it unknown and may spend the resend-once budget."""
    return bool(attempt.error_code and attempt.error_code.isdigit())


async def reconciled(tx: Tx, attempt_id: str, found: Delivery | None) -> Step:
    """The look-up's answer for an unresolved attempt: adopt what the provider has, else
    apply the resend rule (above)."""
    repo = NotificationRepository(tx.session, tx.viewer)
    attempt = await repo.attempt(attempt_id)
    row = await repo.entry(attempt.notification_id, lock=True) if attempt else None
    if attempt is None or row is None or attempt.outcome not in (None, "uncertain"):
        return Step("done", row.id if row else 0)
    attempt.finished_at = tx.now()
    if found is not None:
        attempt.outcome = "found"
        attempt.provider_message_id = found.message_id
        await accept(tx, row, found, source="lookup")
        return Step("done", row.id)
    attempt.outcome = "lost"
    if answered(attempt):  # a clean 5xx, not taken: an ordinary retry, no budget spent
        return Step("send", row.id, row.channel)
    if row.kind == "transactional" and row.resends == 0:
        row.resends += 1
        return Step("send", row.id, row.channel)
    row.error = "the provider could not tell whether it took the message; not resent"
    await settle(tx, row, "failed", UNCERTAIN)
    return Step("done", row.id)
