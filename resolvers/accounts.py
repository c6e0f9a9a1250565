"""Sign-up, sign-in, staff, API keys, the audit trail, and `node(id)`."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from domain.accounts import service
from domain.accounts.repository import AccountsRepository
from domain.core.errors import DomainError, NotFound, Unauthenticated, ValidationFailed
from domain.core.pagination import clamp_first
from domain.core.tx import Tx
from domain.core.viewer import Role as DomainRole
from domain.customers import service as customers
from resolvers.base import Info, business_currency, mutate, reading
from schema.errors import result, to_user_error
from schema.relay import Node, expect_id, page_info, parse_global_id
from schema.types.accounts import (
    ApiKey,
    ApiKeyPayload,
    AuditEvent,
    AuditEventConnection,
    AuditEventEdge,
    AuthPayload,
    Business,
    BusinessPayload,
    CreateApiKeyPayload,
    InvitePayload,
    LogoutPayload,
    Member,
    MemberPayload,
    Membership,
    SignUpPayload,
    User,
    Viewer,
)
from schema.types.common import ApiScope, Role
from schema.types.customers import Customer


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

    def to_domain(self) -> service.BusinessInput:
        return service.BusinessInput(
            name=self.name,
            country=self.country,
            currency=self.currency,
            timezone=self.timezone,
            tax_id=self.tax_id,
            state_code=self.state_code,
            invoice_prefix=self.invoice_prefix,
            customer_prefix=self.customer_prefix,
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


async def _memberships(tx: Tx, user_id: int) -> list[Membership]:
    repo = AccountsRepository(tx.session)
    rows = await repo.memberships_of_user(user_id)
    businesses = {b.id: b for b in await repo.businesses([m.business_id for m in rows])}
    return [
        Membership(business=Business.from_row(businesses[m.business_id]), role=DomainRole(m.role))  # type: ignore[arg-type]
        for m in rows
    ]


def _ttl(info: Info) -> timedelta:
    return timedelta(minutes=info.context.rt.settings.access_token_ttl_minutes)


@strawberry.type
class AccountQueries:
    @strawberry.field(description="Who you are and which business this request acts for.")
    async def viewer(self, info: Info) -> Viewer:
        async with reading(info, auth=False) as tx:
            v = tx.viewer
            repo = AccountsRepository(tx.session)
            user = await repo.user(v.user_id) if v.user_id else None
            business = await repo.business(v.business_id) if v.business_id else None
            key = (
                await repo.api_key(v.business_id, v.api_key_id)
                if v.api_key_id and v.business_id
                else None
            )
            memberships = await _memberships(tx, v.user_id) if v.user_id else []
        return Viewer(
            user=User.from_row(user) if user else None,
            active_business=Business.from_row(business) if business else None,
            role=v.role,
            memberships=memberships,  # type: ignore[arg-type]
            api_key_name=key.name if key else None,
        )

    @strawberry.field(description="Any object by global id, if the viewer may see it.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        try:
            kind, row_id = parse_global_id(id)
        except ValidationFailed:
            return None
        async with reading(info) as tx:
            try:
                if kind == "Customer":
                    row = await customers.get_customer(tx, row_id)
                    return Customer.from_row(row, await business_currency(info, tx))
                if kind == "Business" and tx.viewer.business_id == row_id:
                    business = await AccountsRepository(tx.session).business(row_id)
                    return Business.from_row(business) if business else None
            except (NotFound, DomainError):
                return None
        return None

    @strawberry.field(description="Staff of the active business.")
    async def members(self, info: Info) -> list[Member]:
        async with reading(info) as tx:
            # Staff of any role; API keys are scoped to customers and may not list people.
            business_id = tx.viewer.require_role(*DomainRole)
            rows = await AccountsRepository(tx.session).members(business_id)
        return [
            Member(user=User.from_row(u), role=DomainRole(m.role), joined_at=m.created_at)  # type: ignore[arg-type]
            for m, u in rows
        ]

    @strawberry.field(description="Owner/admin: integrator keys (never the secrets).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        async with reading(info) as tx:
            business_id = tx.viewer.require_role(DomainRole.OWNER, DomainRole.ADMIN)
            rows = await AccountsRepository(tx.session).api_keys(business_id)
        return [ApiKey.from_row(k) for k in rows]

    @strawberry.field(description="Owner/admin: who did what, newest first.")
    async def audit_events(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        action: str | None = None,
    ) -> AuditEventConnection:
        async with reading(info) as tx:
            business_id = tx.viewer.require_role(DomainRole.OWNER, DomainRole.ADMIN)
            limit = clamp_first(first, info.context.rt.settings.max_page_size)
            after_id = expect_id(after, "AuditEvent", "after") if after else None
            rows = list(
                await AccountsRepository(tx.session).audit_events(
                    business_id, limit, after_id, action
                )
            )
        more = len(rows) > limit
        nodes = [AuditEvent.from_row(r) for r in rows[:limit]]
        cursors = [str(n.id) for n in nodes]
        return AuditEventConnection(
            edges=[AuditEventEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            page_info=page_info(cursors, more, after is not None),
        )


def _auth_payload(session: service.Session, memberships: list[Membership]) -> AuthPayload:
    return AuthPayload(
        token=session.token,
        expires_at=session.expires_at,
        user=User.from_row(session.user),
        memberships=memberships,
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create a business and its owner; returns a session token.")
    async def sign_up(self, info: Info, input: SignUpInput) -> result(
        "SignUpResult", SignUpPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> SignUpPayload:
            session, business = await service.sign_up(
                tx,
                email=input.email,
                password=input.password,
                name=input.name,
                business=input.business.to_domain(),
                ttl=_ttl(info),
            )
            return SignUpPayload(
                auth=_auth_payload(session, await _memberships(tx, session.user.id)),
                business=Business.from_row(business),
            )

        return await mutate(info, run, auth=False)

    @strawberry.mutation(
        description="Email + password; failures are counted per email and rate limited."
    )
    async def login(self, info: Info, input: LoginInput) -> result("LoginResult", AuthPayload):  # type: ignore[valid-type]
        settings = info.context.rt.settings

        async def run(tx: Tx) -> AuthPayload | None:
            session = await service.login(
                tx,
                email=input.email,
                password=input.password,
                ttl=_ttl(info),
                max_failures=settings.login_max_failures,
                window=timedelta(minutes=settings.login_window_minutes),
            )
            return (
                _auth_payload(session, await _memberships(tx, session.user.id)) if session else None
            )

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("email or password is wrong"))
        return outcome

    @strawberry.mutation(description="Revoke the session token used for this request.")
    async def logout(self, info: Info) -> result("LogoutResult", LogoutPayload):  # type: ignore[valid-type]
        async def run(tx: Tx) -> LogoutPayload:
            await service.logout(tx)
            return LogoutPayload(ok=True)

        return await mutate(info, run)

    @strawberry.mutation(description="Signed-in users may own several businesses.")
    async def create_business(self, info: Info, input: BusinessInput) -> result(
        "CreateBusinessResult", BusinessPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> BusinessPayload:
            return BusinessPayload(
                business=Business.from_row(await service.create_business(tx, input.to_domain()))
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: invite by email; the code is emailed and returned."
    )
    async def invite_staff(self, info: Info, input: InviteStaffInput) -> result(
        "InviteStaffResult", InvitePayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> InvitePayload:
            invitation, token = await service.invite_staff(
                tx, email=input.email, role=DomainRole(input.role.value), ttl=timedelta(days=7)
            )
            return InvitePayload(
                email=invitation.email,
                role=DomainRole(invitation.role),  # type: ignore[arg-type]
                expires_at=invitation.expires_at,
                token=token,
            )

        return await mutate(info, run)

    @strawberry.mutation
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> result(
        "AcceptInvitationResult", AuthPayload
    ):  # type: ignore[valid-type]
        settings = info.context.rt.settings

        async def run(tx: Tx) -> AuthPayload | None:
            session = await service.accept_invitation(
                tx,
                token=input.token,
                name=input.name,
                password=input.password,
                ttl=_ttl(info),
                max_failures=settings.login_max_failures,
                window=timedelta(minutes=settings.login_window_minutes),
            )
            if session is None:
                return None
            return _auth_payload(session, await _memberships(tx, session.user.id))

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("this email has an account; give its password"))
        return outcome

    @strawberry.mutation(description="Owner only; a business always keeps one owner.")
    async def change_member_role(self, info: Info, user_id: strawberry.ID, role: Role) -> result(
        "ChangeMemberRoleResult", MemberPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> MemberPayload:
            uid = expect_id(user_id, "User", "userId")
            membership = await service.change_role(tx, user_id=uid, role=DomainRole(role.value))
            user = await AccountsRepository(tx.session).user(uid)
            assert user is not None
            return MemberPayload(
                member=Member(
                    user=User.from_row(user),
                    role=DomainRole(membership.role),  # type: ignore[arg-type]
                    joined_at=membership.created_at,
                )
            )

        return await mutate(info, run)

    @strawberry.mutation(description="Owner/admin: the secret is in this response only.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> result(
        "CreateApiKeyResult", CreateApiKeyPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CreateApiKeyPayload:
            key, secret = await service.create_api_key(
                tx, name=input.name, scopes=[s.value for s in input.scopes]
            )
            return CreateApiKeyPayload(api_key=ApiKey.from_row(key), secret=secret)

        return await mutate(info, run)

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> result(
        "RevokeApiKeyResult", ApiKeyPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> ApiKeyPayload:
            return ApiKeyPayload(
                api_key=ApiKey.from_row(await service.revoke_api_key(tx, expect_id(id, "ApiKey")))
            )

        return await mutate(info, run)
