"""Inputs of the accounts context's mutations."""

from __future__ import annotations

import strawberry

from domain.accounts import businesses
from schema.types.common import ApiScope, Role


@strawberry.input
class BusinessInput:
    name: str
    country: str = strawberry.field(description="ISO 3166 alpha-2: IN, KE, OM, ZA, ...")
    currency: str | None = strawberry.field(default=None, description="Defaults from the country.")
    timezone: str | None = strawberry.field(
        default=None, description="IANA zone; defaults from the country."
    )
    tax_id: str | None = strawberry.field(
        default=None, description="India: the GSTIN, whose first two digits give the state."
    )
    state_code: str | None = strawberry.field(
        default=None,
        description="India, without a GSTIN: the GST state (code 01-38 or 97, or an "
        "abbreviation such as MH), used for the place of supply.",
    )
    invoice_prefix: str = "INV"
    customer_prefix: str = "CUST"
    order_prefix: str = "ORD"

    def to_domain(self) -> businesses.BusinessInput:
        return businesses.BusinessInput(
            name=self.name,
            country=self.country,
            currency=self.currency,
            timezone=self.timezone,
            tax_id=self.tax_id,
            state_code=self.state_code,
            invoice_prefix=self.invoice_prefix,
            customer_prefix=self.customer_prefix,
            order_prefix=self.order_prefix,
        )


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str
    business: BusinessInput


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class InviteStaffInput:
    email: str
    role: Role = Role.STAFF  # type: ignore[assignment]


@strawberry.input
class AcceptInvitationInput:
    token: str
    name: str = ""
    password: str


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[ApiScope]


@strawberry.input
class ChangeMemberRoleInput:
    user_id: strawberry.ID
    role: Role


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    code: str = strawberry.field(description="The code from the reset email (or its link).")
    new_password: str
    email: str | None = strawberry.field(
        default=None, description="Optional: when given, the code must be this account's."
    )


@strawberry.input
class RemoveMemberInput:
    user_id: strawberry.ID
