"""Orders mutations: create, change status (cancel, reschedule), invoice an order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from domain.core import idempotency
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing.invoice_data import line_data
from domain.invoicing.service import get_invoice
from domain.orders import invoices, service
from domain.orders.models import OrderStatus
from domain.orders.workflow import IllegalTransition, StaleVersion
from resolvers.access import needs
from resolvers.base import Info, mutate
from resolvers.invoicing.views import _view
from resolvers.orders.views import order_view
from schema.errors import result
from schema.relay import expect_id
from schema.types.orders.inputs import (
    CancelOrderInput,
    ChangeOrderStatusInput,
    CreateOrderInput,
    InvoiceOrderInput,
    RescheduleOrderDeliveryInput,
)
from schema.types.orders.objects import OrderTimelineEntry
from schema.types.orders.payloads import (
    IllegalTransitionError,
    InvoiceOrderPayload,
    OrderConflictError,
    OrderPayload,
)

StatusErrors = (IllegalTransitionError, OrderConflictError)


async def _changed(
    info: Info, tx: Tx, change: service.Change
) -> OrderPayload | IllegalTransitionError | OrderConflictError:
    return OrderPayload(
        order=await order_view(info, tx, change.order),
        timeline_entry=OrderTimelineEntry.from_row(change.entry) if change.entry else None,
    )


def _refused(exc: IllegalTransition | StaleVersion) -> IllegalTransitionError | OrderConflictError:
    """The workflow's refusals as typed errors (nothing was written before them)."""
    if isinstance(exc, IllegalTransition):
        return IllegalTransitionError(
            code=exc.code,
            message=exc.message,
            current_status=exc.current,
            requested_status=exc.requested,
            allowed_statuses=exc.allowed,
        )
    return OrderConflictError(
        code=exc.code,
        message=exc.message,
        current_status=exc.current,
        current_version=exc.version,
    )


async def _step(info: Info, act: Callable[[Tx], Awaitable[service.Change]]) -> Any:
    """One workflow step in its own transaction: the order and its timeline entry, or
    the workflow's refusal as a typed error."""

    async def run(tx: Tx) -> OrderPayload | IllegalTransitionError | OrderConflictError:
        try:
            change = await act(tx)
        except (IllegalTransition, StaleVersion) as exc:
            return _refused(exc)
        return await _changed(info, tx, change)

    return await mutate(info, run)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(extensions=[needs(Scope.ORDERS_WRITE)])
    async def create_order(self, info: Info, input: CreateOrderInput) -> result(
        "CreateOrderResult", OrderPayload
    ):
        async def run(tx: Tx) -> OrderPayload:
            data = service.OrderData(
                customer_id=expect_id(input.customer_id, "Customer", "customerId"),
                lines=[line_data(line) for line in input.lines],
                currency=input.currency,
                prices_include_tax=input.prices_include_tax,
                place_of_supply=input.place_of_supply,
                delivery_address_id=expect_id(
                    input.delivery_address_id, "Address", "deliveryAddressId"
                )
                if input.delivery_address_id
                else None,
                delivery_address=input.delivery_address.to_domain()
                if input.delivery_address
                else None,
                expected_delivery=input.expected_delivery_date,
                notes=input.notes,
                channel=input.channel.value if input.channel else None,
                draft=input.draft,
            )
            outcome = await idempotency.once(
                tx,
                "createOrder",
                input.idempotency_key,
                data,
                create=lambda: service.create_order(tx, data),
                load=lambda id: service.get_order(tx, id),
            )
            return OrderPayload(
                order=await order_view(info, tx, outcome.record), replayed=outcome.replayed
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="One step of the workflow (DRAFT → PENDING → CONFIRMED → PROCESSING → "
        "OUT_FOR_DELIVERY → DELIVERED), CANCELLED before delivery (reason required) or "
        "RETURNED after it. `expectedVersion` is the version the client saw: a stale one "
        "answers OrderConflictError with the current status, and nothing changes.",
        extensions=[needs(Scope.ORDERS_WRITE)],
    )
    async def change_order_status(self, info: Info, input: ChangeOrderStatusInput) -> result(
        "ChangeOrderStatusResult", OrderPayload, *StatusErrors
    ):
        return await _step(
            info,
            lambda tx: service.change_status(
                tx,
                expect_id(input.order_id, "Order", "orderId"),
                OrderStatus(input.status.value),
                input.expected_version,
                note=input.note,
                expected_delivery=input.expected_delivery_date,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="Cancel an order not yet delivered; the reason is required.",
        extensions=[needs(Scope.ORDERS_WRITE)],
    )
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> result(
        "CancelOrderResult", OrderPayload, *StatusErrors
    ):
        return await _step(
            info,
            lambda tx: service.change_status(
                tx,
                expect_id(input.order_id, "Order", "orderId"),
                OrderStatus.CANCELLED,
                input.expected_version,
                reason=input.reason,
            ),
        )

    @strawberry.mutation(
        description="A new expected delivery date, without a status change.",
        extensions=[needs(Scope.ORDERS_WRITE)],
    )
    async def reschedule_order_delivery(
        self, info: Info, input: RescheduleOrderDeliveryInput
    ) -> result("RescheduleOrderDeliveryResult", OrderPayload, *StatusErrors):
        return await _step(
            info,
            lambda tx: service.reschedule_delivery(
                tx,
                expect_id(input.order_id, "Order", "orderId"),
                input.expected_version,
                input.expected_delivery_date,
                input.note,
            ),
        )

    @strawberry.mutation(
        description="Invoice a CONFIRMED (or later, not cancelled) order through the invoicing "
        "service: the invoice links back to the order. Needs INVOICES_WRITE too.",
        extensions=[needs(Scope.ORDERS_WRITE)],
    )
    async def invoice_order(self, info: Info, input: InvoiceOrderInput) -> result(
        "InvoiceOrderResult", InvoiceOrderPayload
    ):
        async def run(tx: Tx) -> InvoiceOrderPayload:
            order_id = expect_id(input.order_id, "Order", "orderId")
            request = (order_id, input.due_date, input.notes, input.terms)
            outcome = await idempotency.once(
                tx,
                "invoiceOrder",
                input.idempotency_key,
                request,
                create=lambda: invoices.invoice_order(
                    tx, order_id, due_date=input.due_date, notes=input.notes, terms=input.terms
                ),
                load=lambda id: get_invoice(tx, id),
            )
            order = await service.get_order(tx, order_id)
            return InvoiceOrderPayload(
                invoice=await _view(info, tx, outcome.record),
                order=await order_view(info, tx, order),
                replayed=outcome.replayed,
            )

        return await mutate(info, run)
