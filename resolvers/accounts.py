"""Sign-up, sign-in, staff, API keys, the audit trail, and `node(id)`."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from domain.accounts import businesses, queries, service, sign_in
from domain.core.errors import Unauthenticated
from domain.core.pagination import clamp_first
from domain.core.tx import Tx
from domain.core.viewer import Role as DomainRole
from resolvers.access import public, signed_in, staff_only
from resolvers.base import Info, mutate, reading
from resolvers.nodes import resolve_node
from schema.errors import result, to_user_error
from schema.relay import Node, expect_id, page_info
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


def _memberships(session: sign_in.Session) -> list[Membership]:
    return [
        Membership(business=Business.from_row(b), role=DomainRole(m.role))  # type: ignore[arg-type]
        for m, b in session.memberships
    ]


def _ttl(info: Info) -> timedelta:
    return timedelta(minutes=info.context.rt.settings.access_token_ttl_minutes)


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Who you are and which business this request acts for.", extensions=[public()]
    )
    async def viewer(self, info: Info) -> Viewer:
        async with reading(info, auth=False) as tx:
            profile = await queries.viewer_profile(tx)
        user, business, key = profile.user, profile.business, profile.api_key
        return Viewer(
            user=User.from_row(user) if user else None,
            active_business=Business.from_row(business) if business else None,
            role=tx.viewer.role,
            memberships=[
                Membership(business=Business.from_row(b), role=DomainRole(m.role))  # type: ignore[arg-type]
                for m, b in profile.memberships
            ],
            api_key_name=key.name if key else None,
        )

    @strawberry.field(
        description="Any object by global id, if the viewer may see it.", extensions=[signed_in()]
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Staff of the active business.", extensions=[staff_only()])
    async def members(self, info: Info) -> list[Member]:
        async with reading(info) as tx:
            rows = await queries.members(tx)
        return [
            Member(user=User.from_row(u), role=DomainRole(m.role), joined_at=m.created_at)  # type: ignore[arg-type]
            for m, u in rows
        ]

    @strawberry.field(
        description="Owner/admin: integrator keys (never the secrets).", extensions=[staff_only()]
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        async with reading(info) as tx:
            rows = await queries.api_keys(tx)
        return [ApiKey.from_row(k) for k in rows]

    @strawberry.field(
        description="Owner/admin: who did what, newest first.", extensions=[staff_only()]
    )
    async def audit_events(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        action: str | None = None,
    ) -> AuditEventConnection:
        async with reading(info) as tx:
            limit = clamp_first(first, info.context.rt.settings.max_page_size)
            after_id = expect_id(after, "AuditEvent", "after") if after else None
            rows = list(await queries.audit_events(tx, limit, after_id, action))
        more = len(rows) > limit
        nodes = [AuditEvent.from_row(r) for r in rows[:limit]]
        cursors = [str(n.id) for n in nodes]
        return AuditEventConnection(
            edges=[AuditEventEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            page_info=page_info(cursors, more, after is not None),
        )


def _auth_payload(session: sign_in.Session, memberships: list[Membership]) -> AuthPayload:
    return AuthPayload(
        token=session.token,
        expires_at=session.expires_at,
        user=User.from_row(session.user),
        memberships=memberships,
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create a business and its owner; returns a session token.",
        extensions=[public()],
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> result(
        "SignUpResult", SignUpPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> SignUpPayload:
            session, business = await sign_in.sign_up(
                tx,
                email=input.email,
                password=input.password,
                name=input.name,
                business=input.business.to_domain(),
                ttl=_ttl(info),
            )
            return SignUpPayload(
                auth=_auth_payload(session, _memberships(session)),
                business=Business.from_row(business),
            )

        return await mutate(info, run, auth=False)

    @strawberry.mutation(
        description="Email + password; failures are counted per email and rate limited.",
        extensions=[public()],
    )
    async def login(self, info: Info, input: LoginInput) -> result("LoginResult", AuthPayload):  # type: ignore[valid-type]
        settings = info.context.rt.settings

        async def run(tx: Tx) -> AuthPayload | None:
            session = await sign_in.login(
                tx,
                email=input.email,
                password=input.password,
                ttl=_ttl(info),
                max_failures=settings.login_max_failures,
                window=timedelta(minutes=settings.login_window_minutes),
            )
            return _auth_payload(session, _memberships(session)) if session else None

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("email or password is wrong"))
        return outcome

    @strawberry.mutation(
        description="Revoke the session token used for this request.", extensions=[staff_only()]
    )
    async def logout(self, info: Info) -> result("LogoutResult", LogoutPayload):  # type: ignore[valid-type]
        async def run(tx: Tx) -> LogoutPayload:
            await sign_in.logout(tx)
            return LogoutPayload(ok=True)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Signed-in users may own several businesses.", extensions=[staff_only()]
    )
    async def create_business(self, info: Info, input: BusinessInput) -> result(
        "CreateBusinessResult", BusinessPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> BusinessPayload:
            return BusinessPayload(
                business=Business.from_row(await businesses.create_business(tx, input.to_domain()))
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: invite by email; the code is emailed and returned.",
        extensions=[staff_only()],
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

    @strawberry.mutation(extensions=[public()])
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> result(
        "AcceptInvitationResult", AuthPayload
    ):  # type: ignore[valid-type]
        settings = info.context.rt.settings

        async def run(tx: Tx) -> AuthPayload | None:
            session = await sign_in.accept_invitation(
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
            return _auth_payload(session, _memberships(session))

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("this email has an account; give its password"))
        return outcome

    @strawberry.mutation(
        description="Owner only; a business always keeps one owner.", extensions=[staff_only()]
    )
    async def change_member_role(self, info: Info, user_id: strawberry.ID, role: Role) -> result(
        "ChangeMemberRoleResult", MemberPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> MemberPayload:
            uid = expect_id(user_id, "User", "userId")
            membership = await service.change_role(tx, user_id=uid, role=DomainRole(role.value))
            user = await queries.member_user(tx, uid)
            assert user is not None
            return MemberPayload(
                member=Member(
                    user=User.from_row(user),
                    role=DomainRole(membership.role),  # type: ignore[arg-type]
                    joined_at=membership.created_at,
                )
            )

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: the secret is in this response only.", extensions=[staff_only()]
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> result(
        "CreateApiKeyResult", CreateApiKeyPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> CreateApiKeyPayload:
            key, secret = await service.create_api_key(
                tx, name=input.name, scopes=[s.value for s in input.scopes]
            )
            return CreateApiKeyPayload(api_key=ApiKey.from_row(key), secret=secret)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[staff_only()])
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> result(
        "RevokeApiKeyResult", ApiKeyPayload
    ):  # type: ignore[valid-type]
        async def run(tx: Tx) -> ApiKeyPayload:
            return ApiKeyPayload(
                api_key=ApiKey.from_row(await service.revoke_api_key(tx, expect_id(id, "ApiKey")))
            )

        return await mutate(info, run)
