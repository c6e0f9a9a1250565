"""Merging duplicate customers. Other contexts (invoices, orders) register a mover so a
merge carries their rows too, without customers importing them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.accounts.repository import AccountsRepository
from domain.core import audit, outbox
from domain.core.errors import Conflict, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Role
from domain.customers.codes import CustomersCode
from domain.customers.fields import refresh_derived
from domain.customers.models import (
    PROFILE_RANK,
    STATUS_RANK,
    Customer,
    CustomerMerge,
    CustomerStatus,
    PaymentStatus,
    ProfileType,
    VipMode,
)
from domain.customers.repository import CustomerRepository
from domain.customers.service import channel_for, event_payload, get_customer
from domain.customers.status import StatusRules, refresh_status

Mover = Callable[[Tx, Customer, Customer], Awaitable[int]]
MERGE_MOVERS: dict[str, Mover] = {}


def register_mover(name: str, mover: Mover) -> None:
    MERGE_MOVERS[name] = mover


async def merge_customers(
    tx: Tx, source_id: int, target_id: int, reason: str | None
) -> tuple[Customer, CustomerMerge]:
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    if source_id == target_id:
        raise ValidationFailed.one(
            "sourceId", "cannot merge a customer into itself", CustomersCode.SAME_CUSTOMER
        )
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted((source_id, target_id))
    locked = {
        first: await get_customer(tx, first, lock=True),
        second: await get_customer(tx, second, lock=True),
    }
    source, target = locked[source_id], locked[target_id]
    if source.merged_into_id is not None:
        raise Conflict("source was already merged")
    if target.merged_into_id is not None:
        raise Conflict("target was merged into another customer; merge into that one")
    repo = CustomerRepository(tx.session, tx.viewer)
    counts: dict[str, int] = {"addresses": await repo.move_addresses(source.id, target.id)}
    for name, mover in MERGE_MOVERS.items():
        counts[name] = await mover(tx, source, target)
    if counts["addresses"]:
        remaining = await repo.addresses_for([target.id])
        if remaining and not any(a.is_default for a in remaining):
            min(remaining, key=lambda a: a.id).is_default = True

    counts["tags_added"] = len(set(source.tags) - set(target.tags))
    _carry_profile(source, target)
    _carry_summary(source, target)
    rules = StatusRules.of(await AccountsRepository(tx.session, tx.viewer).business())
    refresh_status(target, rules, tx.now())
    refresh_derived(target)
    target.updated_at = tx.now()
    await repo.set_tags(target)

    source.status = CustomerStatus.INACTIVE
    source.merged_into_id = target.id
    source.deactivated_at = tx.now()
    source.updated_at = tx.now()
    merge = CustomerMerge(
        business_id=target.business_id,
        source_id=source.id,
        target_id=target.id,
        merged_by=tx.viewer.actor_label,
        reason=(reason or "").strip() or None,
        counts=counts,
        created_at=tx.now(),
    )
    await repo.add_merge(merge)
    _announce(tx, source, target, counts)
    return target, merge


def _carry_profile(source: Customer, target: Customer) -> None:
    """Tags and notes join; what the target lacks is filled from the source, never
    overwritten; a second phone or email becomes the target's secondary one."""
    target.tags = list(dict.fromkeys([*target.tags, *source.tags]))
    notes = [n for n in (target.notes, source.notes) if n]
    if source.notes:
        notes[-1] = f"[merged from {source.number}] {source.notes}"
    target.notes = "\n".join(notes) or None
    for field_name in (
        "name_alt",
        "email",
        "business_type",
        "tax_id",
        "credit_limit",
        "preferred_payment_method",
    ):
        if getattr(target, field_name) in (None, "") and getattr(source, field_name) not in (
            None,
            "",
        ):
            setattr(target, field_name, getattr(source, field_name))
    if not target.phone and source.phone:
        target.phone, target.person_id, target.phone_verified = (
            source.phone,
            source.person_id,
            source.phone_verified,
        )
    elif source.phone and source.phone != target.phone and not target.phone_secondary:
        target.phone_secondary = source.phone
    if source.email and source.email != target.email and not target.email_secondary:
        target.email_secondary = source.email
    if (
        PROFILE_RANK[ProfileType(source.profile_type)]
        > PROFILE_RANK[ProfileType(target.profile_type)]
    ):
        target.profile_type = source.profile_type
    if target.vip_mode == VipMode.AUTO:  # the owner's say on either side is kept
        target.vip_mode = source.vip_mode


def _carry_summary(source: Customer, target: Customer) -> None:
    """The source's invoices are the target's now: totals add up, the latest invoice date,
    the oldest open due date and the worse payment status come along (the two statuses
    were exact for their own invoices)."""
    target.total_billed += source.total_billed
    target.total_paid += source.total_paid
    target.outstanding += source.outstanding
    target.invoice_count += source.invoice_count
    if source.last_invoice_at and (
        not target.last_invoice_at or source.last_invoice_at > target.last_invoice_at
    ):
        target.last_invoice_at = source.last_invoice_at
    dues = [d for d in (target.oldest_open_due, source.oldest_open_due) if d is not None]
    target.oldest_open_due = min(dues, default=None)
    target.payment_status = max(
        target.payment_status, source.payment_status, key=lambda s: STATUS_RANK[PaymentStatus(s)]
    )


def _announce(tx: Tx, source: Customer, target: Customer, counts: dict[str, int]) -> None:
    audit.record(
        tx,
        "customer.merged",
        target_type="customer",
        target_id=target.id,
        data={"source": source.number, "target": target.number, "counts": counts},
    )
    outbox.emit(
        tx,
        "customer.merged",
        event_payload(target)
        | {"sourceId": source.id, "sourceNumber": source.number, "counts": counts},
        channels=[channel_for(target.business_id)],
        snapshot=lambda: {"customer": event_payload(target)},
    )
