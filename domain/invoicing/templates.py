"""Invoice templates: which columns a document shows, its accent colour, footer terms and
payment details; one of a business's templates is its default."""

from __future__ import annotations

from domain.core.codes import CoreCode
from domain.core.errors import ErrorCollector, NotFound
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope
from domain.invoicing.documents import PAYMENT_DETAIL_KEYS
from domain.invoicing.draft_repository import DraftRepository
from domain.invoicing.models import InvoiceTemplate

COLUMNS = ("description", "quantity", "unit", "unit_price", "discount", "tax", "total")


async def create_template(
    tx: Tx,
    *,
    name: str,
    columns: list[str],
    show_tax_breakdown: bool,
    show_discount: bool,
    footer_terms: str | None,
    payment_details: dict[str, str],
    accent_color: str,
    make_default: bool,
) -> InvoiceTemplate:
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    _check_template(name, columns, accent_color, payment_details)
    repo = DraftRepository(tx.session, tx.viewer)
    existing = list(await repo.templates())
    make_default = make_default or not existing
    if make_default:
        for other in existing:
            other.is_default = False
        await tx.session.flush()
    template = InvoiceTemplate(
        business_id=business_id,
        name=name.strip(),
        columns=list(columns),
        show_tax_breakdown=show_tax_breakdown,
        show_discount=show_discount,
        footer_terms=footer_terms,
        payment_details=payment_details,
        accent_color=accent_color,
        is_default=make_default,
        created_at=tx.now(),
    )
    await repo.add(template)
    return template


async def get_template(tx: Tx, template_id: int) -> InvoiceTemplate:
    tx.viewer.require_business(Scope.INVOICES_READ)
    template = await DraftRepository(tx.session, tx.viewer).template(template_id)
    if template is None:
        raise NotFound("template", template_id)
    return template


async def templates(tx: Tx) -> list[InvoiceTemplate]:
    tx.viewer.require_business(Scope.INVOICES_READ)
    return list(await DraftRepository(tx.session, tx.viewer).templates())


def _check_template(
    name: str, columns: list[str], accent_color: str, payment_details: dict[str, str]
) -> None:
    errors = ErrorCollector()
    if not name.strip() or len(name) > 100:
        errors.add("name", "is required (at most 100 characters)", CoreCode.REQUIRED)
    bad = [c for c in columns if c not in COLUMNS]
    if bad or "description" not in columns:
        errors.add(
            "columns",
            f"choose from {', '.join(COLUMNS)}; description is required",
            CoreCode.INVALID_CHOICE,
        )
    if not (
        len(accent_color) == 7
        and accent_color.startswith("#")
        and all(ch in "0123456789abcdefABCDEF" for ch in accent_color[1:])
    ):
        errors.add("accentColor", "must be #RRGGBB", CoreCode.INVALID)
    if set(payment_details) - PAYMENT_DETAIL_KEYS:
        errors.add(
            "paymentDetails", f"keys: {', '.join(sorted(PAYMENT_DETAIL_KEYS))}", CoreCode.INVALID
        )
    errors.raise_if_any()
