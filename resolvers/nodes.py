"""`node(id)`: every type that implements Node, loaded through its context's domain
service with the viewer's tenancy. A foreign, missing or forbidden id is null, exactly as
a malformed one: node never tells which ids exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.accounts import service as accounts
from domain.core.errors import DomainError, ValidationFailed
from domain.core.tx import Tx
from domain.customers import addresses, imports
from domain.customers import service as customers
from domain.invoicing import drafts, payments
from domain.invoicing import service as invoicing
from domain.invoicing import templates as invoice_templates
from domain.invoicing.recurring import service as recurring
from domain.orders import queries as orders
from domain.purchases import service as purchases
from resolvers.base import Info, business_currency, reading
from resolvers.customers.queries import _merge_record
from resolvers.invoicing.drafts_queries import _draft
from resolvers.invoicing.views import _view
from resolvers.orders.views import order_view
from schema.relay import Node, parse_global_id
from schema.types.accounts.objects import ApiKey, AuditEvent, Business, User
from schema.types.customers.imports import CustomerImport
from schema.types.customers.objects import Address, Customer
from schema.types.invoicing.drafts import InvoiceTemplate
from schema.types.invoicing.objects import CreditNote, Payment
from schema.types.invoicing.recurring import RecurringSchedule
from schema.types.purchases.objects import Purchase

Loader = Callable[[Info, Tx, int], Awaitable[Node]]


async def _customer(info: Info, tx: Tx, row_id: int) -> Node:
    row = await customers.get_customer(tx, row_id)
    return Customer.from_row(row, await business_currency(info, tx))


async def _address(info: Info, tx: Tx, row_id: int) -> Node:
    return Address.from_row(await addresses.get_address(tx, row_id))


async def _import(info: Info, tx: Tx, row_id: int) -> Node:
    return CustomerImport.from_row(await imports.get_import(tx, row_id))


async def _merge(info: Info, tx: Tx, row_id: int) -> Node:
    return _merge_record(await customers.get_merge(tx, row_id))


async def _invoice(info: Info, tx: Tx, row_id: int) -> Node:
    return await _view(info, tx, await invoicing.get_invoice(tx, row_id))


async def _payment(info: Info, tx: Tx, row_id: int) -> Node:
    return Payment.from_row(await payments.get_payment(tx, row_id))


async def _credit_note(info: Info, tx: Tx, row_id: int) -> Node:
    note = await payments.get_credit_note(tx, row_id)
    invoice = await invoicing.get_invoice(tx, note.invoice_id)
    return CreditNote.from_row(note, invoice.currency)


async def _invoice_draft(info: Info, tx: Tx, row_id: int) -> Node:
    return await _draft(tx, await drafts.get_draft(tx, row_id))


async def _template(info: Info, tx: Tx, row_id: int) -> Node:
    return InvoiceTemplate.from_row(await invoice_templates.get_template(tx, row_id))


async def _order(info: Info, tx: Tx, row_id: int) -> Node:
    return await order_view(info, tx, await orders.read_order(tx, row_id))


async def _business(info: Info, tx: Tx, row_id: int) -> Node:
    return Business.from_row(await accounts.get_business(tx, row_id))


async def _user(info: Info, tx: Tx, row_id: int) -> Node:
    return User.from_row(await accounts.get_user(tx, row_id))


async def _api_key(info: Info, tx: Tx, row_id: int) -> Node:
    return ApiKey.from_row(await accounts.get_api_key(tx, row_id))


async def _audit_event(info: Info, tx: Tx, row_id: int) -> Node:
    return AuditEvent.from_row(await accounts.get_audit_event(tx, row_id))


async def _purchase(info: Info, tx: Tx, row_id: int) -> Node:
    return Purchase.from_row(await purchases.get_purchase(tx, row_id))


async def _recurring_schedule(info: Info, tx: Tx, row_id: int) -> Node:
    return RecurringSchedule.from_row(await recurring.get_schedule(tx, row_id))


# Keyed by the kind written in the global id (see the types' from_row).
LOADERS: dict[str, Loader] = {
    "Address": _address,
    "ApiKey": _api_key,
    "AuditEvent": _audit_event,
    "Business": _business,
    "CreditNote": _credit_note,
    "Customer": _customer,
    "CustomerImport": _import,
    "CustomerMerge": _merge,
    "Invoice": _invoice,
    "InvoiceDraft": _invoice_draft,
    "InvoiceTemplate": _template,
    "Order": _order,
    "Payment": _payment,
    "Purchase": _purchase,
    "RecurringSchedule": _recurring_schedule,
    "User": _user,
}


async def resolve_node(info: Info, id: str) -> Node | None:
    try:
        kind, row_id = parse_global_id(id)
    except ValidationFailed:
        return None
    load = LOADERS.get(kind)
    if load is None:
        return None
    async with reading(info) as tx:
        try:
            return await load(info, tx, row_id)
        except DomainError:
            return None
