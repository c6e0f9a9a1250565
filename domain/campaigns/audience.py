"""Who a campaign goes to. Every audience is customers of the business who are active
(not deactivated, not merged away, not the walk-in guest) and have a phone; then one of:

- inactive: no sale (counter purchase or invoice) in the last `days` days, in the
  business's time zone (a customer without sales counts from the day they were added);
- vip: total spent (invoices at their billed amount + counter purchases) above `amount`;
- low_spenders: total spent below `amount`;
- all_active: everyone above;
- tags: carrying any of `tags`;
- customers: a hand-picked list of ids (each must be the business's own).

Opted-out customers stay in the audience: they are skipped at send time and counted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.campaigns.codes import CampaignsCode
from domain.core.errors import ErrorCollector

MAX_DAYS = 3650
MAX_TAGS = 20
MAX_PICKED = 10_000
MAX_AMOUNT = Decimal("1e12")


class AudienceKind(StrEnum):
    INACTIVE = "inactive"
    VIP = "vip"
    LOW_SPENDERS = "low_spenders"
    ALL_ACTIVE = "all_active"
    TAGS = "tags"
    CUSTOMERS = "customers"


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    days: int | None = None
    amount: Decimal | None = None
    tags: tuple[str, ...] = ()
    customer_ids: tuple[int, ...] = ()

    def check(self) -> None:
        """Each kind takes its own value and no other's."""
        errors = ErrorCollector()
        wants = {
            AudienceKind.INACTIVE: "days",
            AudienceKind.VIP: "amount",
            AudienceKind.LOW_SPENDERS: "amount",
            AudienceKind.TAGS: "tags",
            AudienceKind.CUSTOMERS: "customerIds",
        }.get(self.kind)
        given = {
            "days": self.days is not None,
            "amount": self.amount is not None,
            "tags": bool(self.tags),
            "customerIds": bool(self.customer_ids),
        }
        for name, present in given.items():
            field = f"audience.{name}"
            if name == wants and not present:
                errors.add(field, f"is required for {self.kind.value}", CampaignsCode.BAD_AUDIENCE)
            elif name != wants and present:
                errors.add(field, f"is not used by {self.kind.value}", CampaignsCode.BAD_AUDIENCE)
        if self.days is not None and not 1 <= self.days <= MAX_DAYS:
            errors.add("audience.days", f"must be 1-{MAX_DAYS}")
        if self.amount is not None and (
            not self.amount.is_finite() or not 0 <= self.amount < MAX_AMOUNT
        ):
            errors.add("audience.amount", "must be a finite amount of zero or more")
        if len(self.tags) > MAX_TAGS:
            errors.add("audience.tags", f"at most {MAX_TAGS} tags")
        if any(not t.strip() or len(t) > 40 for t in self.tags):
            errors.add("audience.tags", "each tag is 1-40 characters")
        if len(self.customer_ids) > MAX_PICKED:
            errors.add("audience.customerIds", f"at most {MAX_PICKED} customers")
        errors.raise_if_any()
