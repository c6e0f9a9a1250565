"""Statement emails through the real SendGrid SDK and its fake: `sendStatement` mails a
period's statement with the PDF attached (idempotent with a key, typed errors for bad
input), and the monthly job sends last month's statement to each active customer of an
opted-in business once, on the 1st in the business's time zone, however many runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from domain.notifications import statement_mail
from domain.notifications.models import StatementSend
from schema.relay import expect_id
from tests.conftest import Actor, run_jobs, sign_up
from tests.notifications.conftest import Desk
from tests.notifications.pipeline_helpers import customer, invoice, rows_of
from workers import tasks
from workers.arq_worker import deployment_cron_jobs

SEND = """mutation($input: SendStatementInput!) { sendStatement(input: $input) { __typename
  ... on SendStatementPayload { requestId replayed }
  ... on ValidationError { code fields { field code message } }
  ... on UserError { code message } } }"""
SETTINGS = """mutation($input: UpdateDeliverySettingsInput!) { updateDeliverySettings(
  input: $input) { __typename ... on DeliverySettingsPayload { settings { monthlyStatements } } } }"""


async def _send(owner: Actor, **input: object) -> dict[str, object]:
    return (await owner.gql(SEND, {"input": input}))["data"]["sendStatement"]  # type: ignore[no-any-return]


def _mails_to(desk: Desk, email: str) -> list[dict[str, Any]]:
    return [m for m in desk.sendgrid.mails if m["to"] == email]


async def test_send_statement_mails_the_pdf_once_per_key(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    cid = await customer(owner, email="st1@example.com")
    await invoice(owner, cid)
    today = desk.clock.now().date()
    period = {"customerId": cid, "from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    first = await _send(owner, **period, idempotencyKey="stmt-1")
    assert first["__typename"] == "SendStatementPayload" and first["replayed"] is False, first
    again = await _send(owner, **period, idempotencyKey="stmt-1")
    assert (again["requestId"], again["replayed"]) == (first["requestId"], True)
    await run_jobs(desk.rt)
    [mail] = _mails_to(desk, "st1@example.com")
    assert str(mail["subject"]).startswith("Your statement from ")
    texts = {c["type"]: c["value"] for c in mail["content"]}
    assert "balance " in texts["text/plain"] and "300.00" in texts["text/plain"]
    [(filename, kind, pdf)] = mail["files"]
    assert filename == f"statement-{today.replace(day=1)}-{today}.pdf"
    assert kind == "application/pdf" and pdf.startswith(b"%PDF-")
    [row] = await rows_of(desk.rt, cid)
    assert (row.event, row.attachment, row.status) == (
        "statement.send_requested",
        "statement_pdf",
        "accepted",
    )
    assert row.idempotency_key == f"{first['requestId']}:email"


async def test_send_statement_refuses_bad_input(desk: Desk) -> None:
    owner = await sign_up(desk.client, "KE")
    other = await sign_up(desk.client, "KE")
    no_email = await customer(owner, phone="+254712345711")
    theirs = await customer(other, email="theirs@example.com")
    period = {"from": "2026-11-01", "to": "2026-11-30"}
    missing = await _send(owner, customerId=no_email, **period)
    assert missing["__typename"] == "ValidationError"
    assert missing["fields"][0]["field"] == "customerId"  # type: ignore[index]
    backwards = await _send(owner, customerId=theirs, **{"from": "2026-11-30", "to": "2026-11-01"})
    assert backwards["__typename"] == "ValidationError"
    foreign = await _send(owner, customerId=theirs, **period)
    assert foreign["__typename"] == "NotFoundError", foreign
    assert _mails_to(desk, "theirs@example.com") == []


async def test_the_monthly_job_sends_last_months_statement_once(desk: Desk) -> None:
    opted = await sign_up(desk.client, "KE")
    quiet = await sign_up(desk.client, "KE")
    on = await opted.gql(SETTINGS, {"input": {"monthlyStatements": True}})
    assert on["data"]["updateDeliverySettings"]["settings"] == {"monthlyStatements": True}
    active = await customer(opted, email="st-active@example.com")
    await customer(opted, email="st-idle@example.com", name="Idle")
    await invoice(opted, active)
    not_opted = await customer(quiet, email="st-quiet@example.com")
    await invoice(quiet, not_opted)
    month = desk.clock.now().date().replace(day=1)
    # not the 1st yet: nothing goes
    await statement_mail.send_monthly(desk.rt.db, desk.clock)
    assert await _sends(desk, opted) == []
    # 09:00 on the 1st of next month in Nairobi; two workers run the job at once
    first = (month + timedelta(days=32)).replace(day=1)
    desk.clock.advance(days=(first - desk.clock.now().date()).days)
    await asyncio.gather(*(statement_mail.send_monthly(desk.rt.db, desk.clock) for _ in range(2)))
    # a later run that hour, as the arq cron runs it
    assert f"cron:{desk.rt.settings.redis_namespace}:monthly_statements" in [
        job.name for job in deployment_cron_jobs(desk.rt.settings)
    ]
    again = await tasks.send_monthly_statements({"runtime": desk.rt})
    assert again["businesses"] >= 1
    last = first - timedelta(days=1)
    sends = await _sends(desk, opted)
    assert [(s.customer_id, s.period_start, s.period_end, s.occurrence) for s in sends] == [
        (expect_id(active, "Customer"), month, last, f"monthly:{month:%Y-%m}")
    ]
    assert await _sends(desk, quiet) == []
    await run_jobs(desk.rt)
    [mail] = _mails_to(desk, "st-active@example.com")
    [(filename, _, _)] = mail["files"]
    assert filename == f"statement-{month}-{last}.pdf"
    assert _mails_to(desk, "st-idle@example.com") == _mails_to(desk, "st-quiet@example.com") == []


async def _sends(desk: Desk, owner: Actor) -> list[StatementSend]:
    business = expect_id(owner.business_id, "Business")
    async with desk.rt.db.read() as session:
        rows = await session.scalars(
            select(StatementSend)
            .where(StatementSend.business_id == business)
            .order_by(StatementSend.id)
        )
        return list(rows.all())
