"""Error codes of the invoicing context: invoices, drafts, taxes, payments, statements,
templates, payment webhooks (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class InvoicingCode(ErrorCode):
    # invoices and drafts
    CUSTOMER_INACTIVE = "CUSTOMER_INACTIVE"
    INVALID_DATE = "INVALID_DATE"
    INVOICE_VOID = "INVOICE_VOID"
    INVOICE_PAID = "INVOICE_PAID"  # nothing left to pay (remindNow)
    SEND_STARTED = "SEND_STARTED"  # a scheduled send already began: too late to cancel
    NOT_POSITIVE = "NOT_POSITIVE"
    # taxes
    PRECISION = "PRECISION"
    NOT_ALLOWED = "NOT_ALLOWED"
    SELLER_STATE_UNKNOWN = "SELLER_STATE_UNKNOWN"
    # payments and credit notes
    IN_FUTURE = "IN_FUTURE"
    OVERPAYMENT = "OVERPAYMENT"
    PERMISSION = "PERMISSION"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    BAD_PAYLOAD = "BAD_PAYLOAD"
    # reports
    INVALID_RANGE = "INVALID_RANGE"
