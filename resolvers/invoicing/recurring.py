"""Recurring invoice schedules: list and read them, create (by hand or from a
suggestInvoices pattern), update, pause, resume, delete. Every mutation takes the
optional idempotency key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry

from domain.core import idempotency
from domain.core.errors import NotFound
from domain.core.pagination import clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing.invoice_data import invoice_options, line_data
from domain.invoicing.recurring import queries, service, suggested
from domain.invoicing.recurring.models import Frequency
from domain.invoicing.recurring.models import RecurringSchedule as Row
from resolvers.access import needs
from resolvers.base import Info, mutate_once, reading
from schema.errors import result
from schema.relay import Edge, expect_id, page_info
from schema.types.invoicing.recurring import (
    CreateRecurringScheduleFromSuggestionInput,
    CreateRecurringScheduleInput,
    DeleteRecurringSchedulePayload,
    RecurringSchedule,
    RecurringScheduleActionInput,
    RecurringScheduleConnection,
    RecurringSchedulePayload,
    RecurringScheduleStatus,
    UpdateRecurringScheduleInput,
)

CURSOR = "recurring:id"
KIND = "RecurringSchedule"


def _data(input: CreateRecurringScheduleInput) -> service.ScheduleData:
    return service.ScheduleData(
        customer_id=expect_id(input.customer_id, "Customer", "customerId"),
        frequency=Frequency(input.frequency.value),
        start_date=input.start_date,
        lines=[line_data(line) for line in input.lines],
        interval=input.interval,
        weekday=input.weekday.value if input.weekday is not None else None,
        day_of_month=input.day_of_month,
        end_date=input.end_date,
        count=input.count,
        **invoice_options(input),
        due_in_days=input.due_in_days,
        send_on_create=input.send_on_create,
        send_channels=list(input.send_channels),
    )


# fields whose null means "leave as it is" (they cannot be cleared)
REQUIRED = {"frequency", "start_date", "lines", "interval", "prices_include_tax"}
REQUIRED |= {"send_on_create", "send_channels"}


def _changes(input: UpdateRecurringScheduleInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in service.ScheduleData.__dataclass_fields__:
        value = getattr(input, name, strawberry.UNSET)
        if value is strawberry.UNSET or (value is None and name in REQUIRED):
            continue
        if name == "frequency":
            value = Frequency(value.value)
        elif name == "weekday" and value is not None:
            value = value.value
        elif name == "lines":
            value = [line_data(line) for line in value]
        elif name == "send_channels":
            value = list(value)
        changes[name] = value
    return changes


@dataclass
class _Gone:
    """What a replayed delete loads: the id of the schedule it deleted."""

    id: int


@strawberry.type
class RecurringQueries:
    @strawberry.field(
        description="Recurring invoice schedules, newest first (keyset paged).",
        extensions=[needs(Scope.INVOICES_READ)],
    )
    async def recurring_schedules(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        customer_id: strawberry.ID | None = None,
        status: list[RecurringScheduleStatus] | None = None,
    ) -> RecurringScheduleConnection:
        limit = clamp_first(first, info.context.rt.settings.max_page_size)
        cursor = decode_cursor(after, CURSOR) if after else None
        async with reading(info) as tx:
            cid = expect_id(customer_id, "Customer", "customerId") if customer_id else None
            rows, more = await queries.schedule_page(
                tx,
                limit,
                int(cursor[1]) if cursor else None,
                cid,
                [s.value for s in status or []],
            )
        cursors = [encode_cursor(CURSOR, r.id, r.id) for r in rows]
        return RecurringScheduleConnection(
            edges=[
                Edge(cursor=c, node=RecurringSchedule.from_row(r))
                for r, c in zip(rows, cursors, strict=True)
            ],
            page_info=page_info(cursors, more, cursor is not None),
        )

    @strawberry.field(extensions=[needs(Scope.INVOICES_READ)])
    async def recurring_schedule(self, info: Info, id: strawberry.ID) -> RecurringSchedule | None:
        async with reading(info) as tx:
            try:
                row = await service.get_schedule(tx, expect_id(id, KIND))
            except NotFound:
                return None
            return RecurringSchedule.from_row(row)


async def _payload(tx: Tx, outcome: idempotency.Outcome[Row]) -> RecurringSchedulePayload:
    return RecurringSchedulePayload(
        schedule=RecurringSchedule.from_row(outcome.record), replayed=outcome.replayed
    )


@strawberry.type
class RecurringMutations:
    @strawberry.mutation(
        description="A schedule that issues an invoice from these lines on each occurrence "
        "(through the tax engine, as createInvoice), and sends it when sendOnCreate.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def create_recurring_schedule(
        self, info: Info, input: CreateRecurringScheduleInput
    ) -> result("CreateRecurringScheduleResult", RecurringSchedulePayload):
        return await mutate_once(
            info,
            "createRecurringSchedule",
            input.idempotency_key,
            request=lambda: _data(input),
            create=service.create_schedule,
            load=service.get_schedule,
            payload=_payload,
        )

    @strawberry.mutation(
        description="A schedule from a suggestInvoices pattern (its `key`): its lines at "
        "the last prices, its cadence, on the weekday or day of month of its next date.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def create_recurring_schedule_from_suggestion(
        self, info: Info, input: CreateRecurringScheduleFromSuggestionInput
    ) -> result("CreateRecurringScheduleFromSuggestionResult", RecurringSchedulePayload):
        def request() -> dict[str, Any]:
            return {
                "customer": expect_id(input.customer_id, "Customer", "customerId"),
                "key": input.suggestion_key,
                "start": input.start_date,
                "end": input.end_date,
                "count": input.count,
                "due": input.due_in_days,
                "send": input.send_on_create,
                "channels": list(input.send_channels),
            }

        async def create(tx: Tx, r: dict[str, Any]) -> Row:
            data = await suggested.prefilled(tx, r["customer"], r["key"], r["start"])
            data.end_date, data.count, data.due_in_days = r["end"], r["count"], r["due"]
            data.send_on_create, data.send_channels = r["send"], r["channels"]
            return await service.create_schedule(tx, data)

        return await mutate_once(
            info,
            "createRecurringScheduleFromSuggestion",
            input.idempotency_key,
            request=request,
            create=create,
            load=service.get_schedule,
            payload=_payload,
        )

    @strawberry.mutation(
        description="Changes the rule or template; the next date is worked out again "
        "(from today, never repeating an issued date).",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def update_recurring_schedule(
        self, info: Info, input: UpdateRecurringScheduleInput
    ) -> result("UpdateRecurringScheduleResult", RecurringSchedulePayload):
        async def update(tx: Tx, r: dict[str, Any]) -> Row:
            changes = {k: v for k, v in r.items() if k != "id"}
            return await service.update_schedule(tx, r["id"], changes)

        return await mutate_once(
            info,
            "updateRecurringSchedule",
            input.idempotency_key,
            request=lambda: {"id": expect_id(input.id, KIND), **_changes(input)},
            create=update,
            load=service.get_schedule,
            payload=_payload,
        )

    @strawberry.mutation(
        description="No invoices until resumed.", extensions=[needs(Scope.INVOICES_WRITE)]
    )
    async def pause_recurring_schedule(
        self, info: Info, input: RecurringScheduleActionInput
    ) -> result("PauseRecurringScheduleResult", RecurringSchedulePayload):
        return await _action(info, input, "pauseRecurringSchedule", service.pause_schedule)

    @strawberry.mutation(
        description="Continues from today: the occurrences of the pause are skipped.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def resume_recurring_schedule(
        self, info: Info, input: RecurringScheduleActionInput
    ) -> result("ResumeRecurringScheduleResult", RecurringSchedulePayload):
        return await _action(info, input, "resumeRecurringSchedule", service.resume_schedule)

    @strawberry.mutation(
        description="The schedule goes; the invoices it issued stay.",
        extensions=[needs(Scope.INVOICES_WRITE)],
    )
    async def delete_recurring_schedule(
        self, info: Info, input: RecurringScheduleActionInput
    ) -> result("DeleteRecurringScheduleResult", DeleteRecurringSchedulePayload):
        async def delete(tx: Tx, r: dict[str, int]) -> _Gone:
            await service.delete_schedule(tx, r["id"])
            return _Gone(r["id"])

        async def gone(tx: Tx, schedule_id: int) -> _Gone:
            return _Gone(schedule_id)

        async def payload(tx: Tx, outcome: idempotency.Outcome[_Gone]) -> Any:
            return DeleteRecurringSchedulePayload(deleted_id=input.id, replayed=outcome.replayed)

        return await mutate_once(
            info,
            "deleteRecurringSchedule",
            input.idempotency_key,
            request=lambda: {"id": expect_id(input.id, KIND)},
            create=delete,
            load=gone,
            payload=payload,
        )


async def _action(
    info: Info,
    input: RecurringScheduleActionInput,
    name: str,
    act: Callable[[Tx, int], Awaitable[Row]],
) -> Any:
    return await mutate_once(
        info,
        name,
        input.idempotency_key,
        request=lambda: {"id": expect_id(input.id, KIND)},
        create=lambda tx, r: act(tx, r["id"]),
        load=service.get_schedule,
        payload=_payload,
    )
