"""Customer rules: progressive profiles (guest -> stub -> full), duplicate phones,
numbering and the network Person link. What a field may hold is in `fields`, addresses
in `addresses`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.codes import CoreCode, ErrorCode
from domain.core.counters import format_number, lock_counter, next_value
from domain.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Scope
from domain.customers.codes import CustomersCode
from domain.customers.fields import (
    CUSTOMER_FIELDS,
    MAX_ADDRESSES,
    Business,
    CustomerInput,
    apply_fields,
    check_profile,
    enum_value,
    gql,
    infer_profile,
    refresh_derived,
    validate_address,
)
from domain.customers.models import (
    PROFILE_RANK,
    Customer,
    CustomerAddress,
    CustomerMerge,
    CustomerStatus,
    CustomerTag,
    ProfileType,
)
from domain.customers.repository import CustomerRepository
from domain.customers.status import StatusRules, refresh_status


class PossibleDuplicates(Conflict):
    """Another customer of the business has this phone: the caller sees them and may
    create the customer anyway (`allowDuplicatePhone`)."""

    code: ErrorCode = CustomersCode.DUPLICATE_PHONE

    def __init__(self, customers: list[Customer], field: str = "phone") -> None:
        super().__init__(
            "another customer of this business has this phone; send allowDuplicatePhone: "
            "true to create this one anyway"
        )
        self.customers = customers
        self.field = field  # the input field whose phone is taken


def channel_for(business_id: int) -> str:
    return f"business:{business_id}:customers"


async def load_business(tx: Tx) -> Business:
    row = await AccountsRepository(tx.session, tx.viewer).business()
    if row is None:
        raise NotFound("business")
    return Business(row.id, row.country, row.currency, row.customer_prefix, row.name)


def event_payload(customer: Customer) -> dict[str, Any]:
    """What a customer event shows (`customerEvents`): no contact data."""
    return {
        "customerId": customer.id,
        "number": customer.number,
        "name": customer.name,
        "profileType": customer.profile_type,
        "status": customer.status,
    }


def emit_change(
    tx: Tx, topic: str, customer: Customer, extra: dict[str, Any] | None = None
) -> None:
    payload = event_payload(customer) | (extra or {})
    outbox.emit(
        tx,
        topic,
        payload,
        channels=[channel_for(customer.business_id)],
        snapshot=lambda: {"customer": event_payload(customer)},  # as committed
    )


async def _link_person(tx: Tx, repo: CustomerRepository, customer: Customer) -> None:
    customer.person_id = (
        await repo.person_for_phone(customer.phone, tx.now()) if customer.phone else None
    )


async def create_customer(
    tx: Tx,
    data: CustomerInput,
    *,
    business: Business | None = None,
    audit_action: str | None = "customer.created",
    allow_duplicate_phone: bool = False,
) -> Customer:
    """audit_action=None is for bulk paths (import) that audit and announce once. A phone
    that another customer of the business has (as primary or secondary) is refused with
    those customers (`PossibleDuplicates`) unless `allow_duplicate_phone`; the check holds
    the customer counter's lock, like auto-registration, so two concurrent creates with
    one phone cannot both pass it."""
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    business = business or await load_business(tx)
    customer = _blank_customer(business_id, tx)
    addresses = _validated(customer, data, business)
    repo = CustomerRepository(tx.session, tx.viewer)
    if not allow_duplicate_phone:
        await _refuse_duplicate_phone(tx, repo, customer)
    customer.number = format_number(
        business.customer_prefix, await next_value(tx, business_id, "customer")
    )
    refresh_derived(customer)
    await _link_person(tx, repo, customer)
    await repo.add(customer)
    repo.add_tags(customer)
    default_index = next((i for i, a in enumerate(data.addresses) if a.is_default), 0)
    for i, fields in enumerate(addresses):
        await repo.add(
            CustomerAddress(
                business_id=business_id,
                customer_id=customer.id,
                is_default=i == default_index,
                created_at=customer.created_at,
                **fields,
            )
        )
    if audit_action is not None:
        audit.record(
            tx,
            audit_action,
            target_type="customer",
            target_id=customer.id,
            data={"number": customer.number},
        )
        emit_change(tx, "customer.created", customer)
    return customer


def build_customer(
    tx: Tx, data: CustomerInput, business: Business
) -> tuple[Customer, list[dict[str, Any]]]:
    """A new customer and its address rows from the input, every field checked
    (ValidationFailed), nothing written: bulk paths write many at once (`add_customers`)."""
    customer = _blank_customer(business.id, tx)
    addresses = _validated(customer, data, business)
    refresh_derived(customer)
    default_index = next((i for i, a in enumerate(data.addresses) if a.is_default), 0)
    for i, fields in enumerate(addresses):
        fields["is_default"] = i == default_index
    return customer, addresses


async def add_customers(tx: Tx, built: list[tuple[Customer, list[dict[str, Any]]]]) -> None:
    """Write customers made by `build_customer` (numbers already set) in a few statements:
    their network Person links, the customers, then their addresses and tags."""
    if not built:
        return
    repo = CustomerRepository(tx.session, tx.viewer)
    persons = await repo.persons_for_phones([c.phone for c, _ in built if c.phone], tx.now())
    for customer, _ in built:
        customer.person_id = persons.get(customer.phone) if customer.phone else None
    await repo.add_all([c for c, _ in built])
    rows: list[object] = []
    for customer, addresses in built:
        rows += [
            CustomerAddress(
                business_id=customer.business_id,
                customer_id=customer.id,
                created_at=customer.created_at,
                **fields,
            )
            for fields in addresses
        ]
        rows += [
            CustomerTag(customer_id=customer.id, tag=t, business_id=customer.business_id)
            for t in customer.tags
        ]
    if rows:
        await repo.add_all(rows)


def _blank_customer(business_id: int, tx: Tx) -> Customer:
    now = tx.now()
    return Customer(
        business_id=business_id,
        number="",
        status=CustomerStatus.ACTIVE,
        created_at=now,
        updated_at=now,
        tags=[],
        preferences={},
        total_billed=Decimal(0),
        total_paid=Decimal(0),
        outstanding=Decimal(0),
        credit_balance=Decimal(0),
        invoice_count=0,
        phone_verified=False,
        email_verified=False,
    )


def _validated(customer: Customer, data: CustomerInput, business: Business) -> list[dict[str, Any]]:
    """Fills the new customer from the input (its profile inferred when not given) and
    answers its addresses' fields; every problem at once as ValidationFailed."""
    errors = ErrorCollector()
    apply_fields(customer, data.changes(), business, errors, new=True)
    if data.profile_type is None:
        customer.profile_type = infer_profile(customer)
    else:
        customer.profile_type = (
            enum_value(data.profile_type, "profile_type", ProfileType, errors) or "guest"
        )
    if not errors.errors:
        check_profile(customer, errors)
    addresses = [
        validate_address(a, business, errors, f"addresses.{i}.")
        for i, a in enumerate(data.addresses)
    ]
    if sum(1 for a in data.addresses if a.is_default) > 1:
        errors.add(
            "addresses", "only one address can be the default", CustomersCode.MULTIPLE_DEFAULTS
        )
    if len(data.addresses) > MAX_ADDRESSES:
        errors.add("addresses", f"at most {MAX_ADDRESSES} addresses a customer", CoreCode.TOO_MANY)
    errors.raise_if_any()
    return addresses


async def _refuse_duplicate_phone(tx: Tx, repo: CustomerRepository, customer: Customer) -> None:
    phones = [p for p in (customer.phone, customer.phone_secondary) if p]
    if not phones:
        return
    await lock_counter(tx, customer.business_id, "customer")
    existing = await repo.with_phones(phones)
    if existing:
        primary_taken = any(customer.phone in (e.phone, e.phone_secondary) for e in existing)
        raise PossibleDuplicates(
            list(existing), "phone" if primary_taken else gql("phone_secondary")
        )


async def get_customer(tx: Tx, customer_id: int, *, lock: bool = False) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    customer = await CustomerRepository(tx.session, tx.viewer).get(customer_id, lock=lock)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


async def update_customer(
    tx: Tx, customer_id: int, changes: dict[str, Any], profile_type: str | None = None
) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    unknown = set(changes) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed.one(sorted(unknown)[0], "cannot be changed here")
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None:
        raise Conflict("customer was merged into another; edit that one instead")
    business = await load_business(tx)
    errors = ErrorCollector()
    old_phone = customer.phone
    changed = apply_fields(customer, changes, business, errors)
    if profile_type is not None:
        kind = enum_value(profile_type, "profile_type", ProfileType, errors)
        if kind and kind != customer.profile_type:
            customer.profile_type = kind
            changed.add("profile_type")
    if not errors.errors:
        check_profile(customer, errors)
    errors.raise_if_any()
    if not changed:
        return customer
    repo = CustomerRepository(tx.session, tx.viewer)
    if "phone" in changed:
        customer.phone_verified = False if customer.phone != old_phone else customer.phone_verified
        await _link_person(tx, repo, customer)
    if "status" in changed:
        customer.deactivated_at = None if customer.status == CustomerStatus.ACTIVE else tx.now()
    if "vip_mode" in changed:  # isVip given: the flag follows the mode and the rule
        rules = StatusRules.of(await AccountsRepository(tx.session, tx.viewer).business())
        refresh_status(customer, rules, tx.now())
    refresh_derived(customer)
    customer.updated_at = tx.now()
    if "tags" in changed:
        await repo.set_tags(customer)
    await tx.session.flush()
    audit.record(
        tx,
        "customer.updated",
        target_type="customer",
        target_id=customer.id,
        data={"fields": sorted(gql(c) for c in changed)},
    )
    emit_change(tx, "customer.updated", customer, {"fields": sorted(gql(c) for c in changed)})
    return customer


async def set_active(tx: Tx, customer_id: int, active: bool, reason: str | None = None) -> Customer:
    tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    customer = await get_customer(tx, customer_id, lock=True)
    if customer.merged_into_id is not None and active:
        raise Conflict("a merged customer cannot be reactivated")
    target = CustomerStatus.ACTIVE if active else CustomerStatus.INACTIVE
    if customer.status == target:
        return customer
    customer.status = target
    customer.deactivated_at = None if active else tx.now()
    customer.updated_at = tx.now()
    action = "customer.reactivated" if active else "customer.deactivated"
    audit.record(
        tx,
        action,
        target_type="customer",
        target_id=customer.id,
        data={"reason": reason} if reason else {},
    )
    emit_change(tx, action, customer)
    return customer


async def upgrade_customer(tx: Tx, customer_id: int, to: str, changes: dict[str, Any]) -> Customer:
    """Move a profile up (guest -> stub -> full), filling what the new level needs. Moving
    down goes through update and keeps every field."""
    errors = ErrorCollector()
    kind = enum_value(to, "to", ProfileType, errors)
    errors.raise_if_any()
    customer = await get_customer(tx, customer_id, lock=True)
    if (
        kind is None
        or PROFILE_RANK[ProfileType(kind)] <= PROFILE_RANK[ProfileType(customer.profile_type)]
    ):
        raise ValidationFailed.one(
            "to", f"customer is already {customer.profile_type}", CustomersCode.NOT_AN_UPGRADE
        )
    updated = await update_customer(tx, customer_id, changes, profile_type=kind)
    audit.record(
        tx, "customer.upgraded", target_type="customer", target_id=customer_id, data={"to": kind}
    )
    return updated


async def get_merge(tx: Tx, merge_id: int) -> CustomerMerge:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    row = await CustomerRepository(tx.session, tx.viewer).merge(merge_id)
    if row is None:
        raise NotFound("merge", merge_id)
    return row
