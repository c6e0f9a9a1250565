"""Helpers of the recurring invoice tests: an owner and customer in a chosen time zone at
a chosen moment, schedule mutations and reads, and moving a frozen clock to a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from domain.core.clock import FrozenClock
from tests.conftest import Actor, sign_up
from tests.invoicing.helpers import customer_id

SCHEDULE_FIELDS = """id customerId frequency interval weekday dayOfMonth startDate endDate
  count createdCount nextDate lastDate status sendOnCreate sendChannels lastError
  estimatedTotal { amount currency }
  template { currency dueInDays lines { description quantity unitPrice taxRate } }
  invoices { id number issueDate dueDate status total { amount } taxTotal { amount } }"""
PAYLOAD = f"""__typename
  ... on RecurringSchedulePayload {{ replayed schedule {{ {SCHEDULE_FIELDS} }} }}
  ... on ValidationError {{ code fields {{ field code message }} }}
  ... on UserError {{ code message }}"""
CREATE = f"""mutation($input: CreateRecurringScheduleInput!) {{
  createRecurringSchedule(input: $input) {{ {PAYLOAD} }} }}"""
FROM_SUGGESTION = f"""mutation($input: CreateRecurringScheduleFromSuggestionInput!) {{
  createRecurringScheduleFromSuggestion(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($input: UpdateRecurringScheduleInput!) {{
  updateRecurringSchedule(input: $input) {{ {PAYLOAD} }} }}"""
PAUSE = f"""mutation($input: RecurringScheduleActionInput!) {{
  pauseRecurringSchedule(input: $input) {{ {PAYLOAD} }} }}"""
RESUME = f"""mutation($input: RecurringScheduleActionInput!) {{
  resumeRecurringSchedule(input: $input) {{ {PAYLOAD} }} }}"""
DELETE = """mutation($input: RecurringScheduleActionInput!) {
  deleteRecurringSchedule(input: $input) { __typename
    ... on DeleteRecurringSchedulePayload { deletedId replayed }
    ... on UserError { code message } } }"""
READ = f"""query($id: ID!) {{ recurringSchedule(id: $id) {{ {SCHEDULE_FIELDS} }} }}"""
LINES = [{"description": "Monthly service", "quantity": "2", "unitPrice": "1250.50"}]


Clocked = tuple[httpx.AsyncClient, FrozenClock]


def at(text: str) -> datetime:
    """A UTC moment from its ISO text without a zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def owner_on(
    clocked: Clocked, when: str, country: str = "IN", timezone: str = "Asia/Kolkata"
) -> tuple[Actor, str]:
    """The clock moved to `when` (UTC), then a new owner whose business is in `timezone`
    and one customer of theirs (its id): every schedule test starts so."""
    client, clock = clocked
    move_to(clock, at(when))
    owner = await sign_up(client, country, timezone=timezone)
    return owner, await customer_id(owner)


def move_to(clock: FrozenClock, at: datetime) -> None:
    clock.advance(seconds=(at - clock.now()).total_seconds())


async def create(actor: Actor, **fields: Any) -> dict[str, Any]:
    fields.setdefault("lines", LINES)
    body = await actor.gql(CREATE, {"input": fields})
    return body["data"]["createRecurringSchedule"]  # type: ignore[no-any-return]


async def created(actor: Actor, **fields: Any) -> dict[str, Any]:
    made = await create(actor, **fields)
    assert made["__typename"] == "RecurringSchedulePayload", made
    return made["schedule"]  # type: ignore[no-any-return]


async def read(actor: Actor, schedule_id: str) -> dict[str, Any] | None:
    body = await actor.gql(READ, {"id": schedule_id})
    return body["data"]["recurringSchedule"]  # type: ignore[no-any-return]


async def act(actor: Actor, mutation: str, **input: Any) -> dict[str, Any]:
    body = await actor.gql(mutation, {"input": input})
    return next(iter(body["data"].values()))  # type: ignore[no-any-return]
