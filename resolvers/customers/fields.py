"""Prefetch planning of a customers page: when the query asks for `node { invoices }`,
the newest invoices of every customer on the page (and their lines, if asked) are
fetched in one session, two statements, before the nodes resolve; the nested fields
then resolve synchronously."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from schema.types.customers.objects import MAX_NEWEST_INVOICES, Customer
from schema.types.invoicing.objects import Invoice, InvoiceLine

if TYPE_CHECKING:
    from schema.context import Context


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """Fields of a selection set, looking through fragments."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def invoices_plan(info: strawberry.Info[Context, None]) -> tuple[int, bool] | None:
    """(most newest invoices asked for, whether their lines are asked for) when the
    connection's `edges { node }` select `invoices`; None when they do not or the shape is
    not understood (the per-customer loader then does the work)."""
    per, lines = 0, False
    try:
        edges_fields = [
            e
            for connection in info.selected_fields
            for e in _fields(connection.selections)
            if e.name == "edges"
        ]
        for edges in edges_fields:
            for node in _fields(edges.selections):
                if node.name != "node":
                    continue
                for invoices in _fields(node.selections):
                    if invoices.name != "invoices":
                        continue
                    first = invoices.arguments.get("first", 5)
                    per = max(per, max(1, min(int(first), MAX_NEWEST_INVOICES)))
                    lines = lines or any(f.name == "lines" for f in _fields(invoices.selections))
    except (TypeError, ValueError, AttributeError):
        return None
    return (per, lines) if per else None


async def prefetch_invoices(
    info: strawberry.Info[Context, None], customers: list[Customer], per: int, with_lines: bool
) -> None:
    invoices, lines = await info.context.loaders.newest_invoices_with_lines(
        [c.row_id for c in customers], per, with_lines
    )
    url = info.context.rt.settings.public_url
    today = {  # each business's own date: overdue is by its calendar, never UTC's
        b: await info.context.loaders.business_today(b) for b in {i.business_id for i in invoices}
    }
    lines_of: dict[int, list[InvoiceLine]] = defaultdict(list)
    currency = {i.id: i.currency for i in invoices}
    for line in lines:
        lines_of[line.invoice_id].append(InvoiceLine.view(line, currency[line.invoice_id]))
    views: dict[int, list[Invoice]] = defaultdict(list)
    for row in invoices:
        view = Invoice.view(row, today[row.business_id], url)
        if with_lines:
            view.prefetched_lines = lines_of.get(row.id, [])
        views[row.customer_id].append(view)
    for customer in customers:
        customer.prefetched_invoices = (per, views.get(customer.row_id, []))


async def prefetch_page(info: strawberry.Info[Context, None], customers: list[Customer]) -> None:
    """Prefetch what the page's nodes will ask for (nothing when they ask no invoices)."""
    plan = invoices_plan(info)
    if plan is not None and customers:
        await prefetch_invoices(info, customers, *plan)
