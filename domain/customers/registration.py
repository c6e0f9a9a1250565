"""Auto-registration at the counter: find the customer by phone or create a stub, once."""

from __future__ import annotations

from dataclasses import dataclass

from domain.core import outbox
from domain.core.contact import normalize_phone
from domain.core.counters import lock_counter
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.fields import CustomerInput
from domain.customers.models import Customer, ProfileType
from domain.customers.repository import CustomerRepository
from domain.customers.service import create_customer, load_business


@dataclass
class AutoRegistered:
    customer: Customer
    created: bool
    welcome_queued: bool


async def auto_register(
    tx: Tx,
    *,
    phone: str,
    name: str | None,
    business_type: str | None = None,
    email: str | None = None,
    send_welcome: bool = False,
) -> AutoRegistered:
    """Calling twice with the same phone returns the same customer (created=False). The
    counter row lock makes concurrent calls for one business queue, so two clerks tapping
    "create" at once still get one customer."""
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    business = await load_business(tx)
    errors = ErrorCollector()
    try:
        e164 = normalize_phone(phone, business.country, "phone")
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
        e164 = ""
    errors.raise_if_any()
    await lock_counter(tx, business_id, "customer")
    existing = await CustomerRepository(tx.session, tx.viewer).by_phone(e164)
    if existing is not None:
        return AutoRegistered(existing, created=False, welcome_queued=False)
    customer = await create_customer(
        tx,
        CustomerInput(
            name=name,  # none, empty or spaces: placeholder_name
            phone=e164,
            business_type=business_type,
            email=email,
            profile_type=ProfileType.STUB,
        ),
        business=business,
        audit_action="customer.auto_registered",
        allow_duplicate_phone=True,  # looked up above: only a secondary phone can match
    )
    if send_welcome:
        outbox.emit(
            tx,
            "customer.welcome",
            {
                "channel": "sms",
                "to": customer.phone,
                "customerId": customer.id,
                # No link until the customer portal exists: a message links only to
                # pages that answer.
                "body": f"Welcome! {business.name} has added you as a customer on Khata.",
            },
            job="send_notification",
        )
    return AutoRegistered(customer, created=True, welcome_queued=send_welcome)
