"""An invoice from an order: made by the invoicing service itself (`create_invoice` with
the order's id), from the order's lines, once the order is confirmed."""

from __future__ import annotations

from datetime import date

from domain.core.errors import Conflict, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.invoicing import service as invoicing
from domain.invoicing.invoice_data import line_data
from domain.invoicing.models import Invoice, InvoiceStatus
from domain.invoicing.repository import InvoiceRepository
from domain.orders.codes import OrdersCode
from domain.orders.models import OrderStatus
from domain.orders.repository import OrderRepository
from domain.orders.service import get_order, timeline
from domain.orders.workflow import INVOICEABLE


async def invoice_order(
    tx: Tx,
    order_id: int,
    *,
    due_date: date | None = None,
    notes: str | None = None,
    terms: str | None = None,
) -> Invoice:
    """Invoices are only available after confirmation (seed 002): a DRAFT or PENDING
    order is refused, so is a cancelled one, and an order that already has a live
    (not void) invoice. The order's status and version do not change; its timeline
    records the invoice."""
    tx.viewer.require_business(Scope.ORDERS_WRITE)
    tx.viewer.require_business(Scope.INVOICES_WRITE)
    order = await get_order(tx, order_id, lock=True)
    status = OrderStatus(order.status)
    if status not in INVOICEABLE:
        raise ValidationFailed.one(
            "orderId",
            f"a {status.name} order cannot be invoiced: confirm it first",
            OrdersCode.ORDER_NOT_CONFIRMED,
        )
    existing = await InvoiceRepository(tx.session, tx.viewer).for_orders([order.id])
    live = [i for i in existing if i.status != InvoiceStatus.VOID]
    if live:
        raise Conflict(
            f"order {order.number} is already invoiced ({live[0].number}); void that "
            "invoice first to invoice it again",
            OrdersCode.ALREADY_INVOICED,
        )
    lines = await OrderRepository(tx.session, tx.viewer).lines_for([order.id])
    invoice = await invoicing.create_invoice(
        tx,
        invoicing.InvoiceData(
            customer_id=order.customer_id,
            lines=[line_data(line) for line in lines],
            currency=order.currency,
            due_date=due_date,
            prices_include_tax=order.prices_include_tax,
            place_of_supply=order.place_of_supply,
            notes=notes if notes is not None else f"Order {order.number}",
            terms=terms,
            order_id=order.id,
            extra_event={"orderId": order.id, "orderNumber": order.number},
        ),
    )
    timeline(tx, order, "invoiced", order.status, note=f"Invoice {invoice.number}")
    return invoice
