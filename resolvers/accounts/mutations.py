"""Accounts mutations: sign-up and sign-in, businesses, staff, API keys."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from domain.accounts import businesses, password_reset, queries, service, sign_in
from domain.accounts.throttle import LoginLimits, RequestLimits
from domain.core.errors import Unauthenticated
from domain.core.tx import Tx
from domain.core.viewer import Role as DomainRole
from resolvers.access import public, staff_only
from resolvers.base import Info, mutate
from schema.errors import result, to_user_error
from schema.relay import expect_id
from schema.types.accounts.inputs import (
    AcceptInvitationInput,
    BusinessInput,
    ChangeMemberRoleInput,
    CreateApiKeyInput,
    InviteStaffInput,
    LoginInput,
    RemoveMemberInput,
    RequestPasswordResetInput,
    ResetPasswordInput,
    RevokeApiKeyInput,
    SignUpInput,
)
from schema.types.accounts.objects import (
    ApiKey,
    Business,
    Member,
    Membership,
    User,
)
from schema.types.accounts.payloads import (
    ApiKeyPayload,
    AuthPayload,
    BusinessPayload,
    CreateApiKeyPayload,
    InvitePayload,
    LogoutPayload,
    MemberPayload,
    RemoveMemberPayload,
    RequestPasswordResetPayload,
    ResetPasswordPayload,
    SignUpPayload,
)


def _auth_payload(session: sign_in.Session, memberships: list[Membership]) -> AuthPayload:
    return AuthPayload(
        token=session.token,
        expires_at=session.expires_at,
        user=User.from_row(session.user),
        memberships=memberships,
    )


def _memberships(session: sign_in.Session) -> list[Membership]:
    return [
        Membership(business=Business.from_row(b), role=DomainRole(m.role))  # type: ignore[arg-type]
        for m, b in session.memberships
    ]


def _ttl(info: Info) -> timedelta:
    return timedelta(minutes=info.context.rt.settings.access_token_ttl_minutes)


def _login_limits(info: Info) -> LoginLimits:
    settings = info.context.rt.settings
    return LoginLimits(
        account_ip_failures=settings.login_max_failures,
        ip_failures=settings.login_ip_max_failures,
        max_delay=timedelta(seconds=settings.login_max_delay_seconds),
        window=timedelta(minutes=settings.login_window_minutes),
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create a business and its owner; returns a session token.",
        extensions=[public()],
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> result(
        "SignUpResult", SignUpPayload
    ):
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
        description="Email + password. Failures slow down further attempts from the same "
        "IP (per account, and across accounts); never from another IP.",
        extensions=[public()],
    )
    async def login(self, info: Info, input: LoginInput) -> result("LoginResult", AuthPayload):
        async def run(tx: Tx) -> AuthPayload | None:
            session = await sign_in.login(
                tx,
                email=input.email,
                password=input.password,
                ttl=_ttl(info),
                limits=_login_limits(info),
            )
            return _auth_payload(session, _memberships(session)) if session else None

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("email or password is wrong"))
        return outcome

    @strawberry.mutation(
        description="Email a single-use password reset code (valid 30 minutes by default). "
        "The answer is the same whether or not the email has an account.",
        extensions=[public()],
    )
    async def request_password_reset(self, info: Info, input: RequestPasswordResetInput) -> result(
        "RequestPasswordResetResult", RequestPasswordResetPayload
    ):
        settings = info.context.rt.settings
        ttl = timedelta(minutes=settings.password_reset_ttl_minutes)

        async def run(tx: Tx) -> RequestPasswordResetPayload:
            await password_reset.request_reset(
                tx,
                email=input.email,
                ttl=ttl,
                limits=RequestLimits(
                    per_email=settings.password_reset_max_per_email,
                    per_ip=settings.password_reset_max_per_ip,
                    window=timedelta(minutes=settings.password_reset_window_minutes),
                ),
                link_base=settings.public_url,
            )
            return RequestPasswordResetPayload(
                message="If an account has this email, a reset code is on its way to it.",
                code_valid_minutes=settings.password_reset_ttl_minutes,
            )

        return await mutate(info, run, auth=False)

    @strawberry.mutation(
        description="Set a new password with a reset code; signs out every session of the "
        "account (API keys keep working).",
        extensions=[public()],
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> result(
        "ResetPasswordResult", ResetPasswordPayload
    ):
        async def run(tx: Tx) -> ResetPasswordPayload | None:
            done = await password_reset.reset_password(
                tx,
                code=input.code,
                new_password=input.new_password,
                email=input.email,
                limits=_login_limits(info),
            )
            if done is None:
                return None
            return ResetPasswordPayload(
                user=User.from_row(done.user), sessions_revoked=done.sessions_revoked
            )

        outcome = await mutate(info, run, auth=False)
        if outcome is None:  # committed the failed attempt, now say so
            return to_user_error(Unauthenticated("the reset code is wrong, used or expired"))
        return outcome

    @strawberry.mutation(
        description="Revoke the session token used for this request.", extensions=[staff_only()]
    )
    async def logout(self, info: Info) -> result("LogoutResult", LogoutPayload):
        async def run(tx: Tx) -> LogoutPayload:
            await sign_in.logout(tx)
            return LogoutPayload(ok=True)

        return await mutate(info, run)

    @strawberry.mutation(
        description="Signed-in users may own several businesses.", extensions=[staff_only()]
    )
    async def create_business(self, info: Info, input: BusinessInput) -> result(
        "CreateBusinessResult", BusinessPayload
    ):
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
    ):
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
    ):
        async def run(tx: Tx) -> AuthPayload | None:
            session = await sign_in.accept_invitation(
                tx,
                token=input.token,
                name=input.name,
                password=input.password,
                ttl=_ttl(info),
                limits=_login_limits(info),
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
    async def change_member_role(self, info: Info, input: ChangeMemberRoleInput) -> result(
        "ChangeMemberRoleResult", MemberPayload
    ):
        user_id, role = input.user_id, input.role

        async def run(tx: Tx) -> MemberPayload:
            uid = expect_id(user_id, "User", "userId")
            membership = await service.change_role(tx, user_id=uid, role=DomainRole(role.value))
            user = await queries.member_user(tx, uid)
            assert user is not None
            return MemberPayload(member=Member.of(membership, user))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin (only an owner removes an owner; a business keeps one "
        "owner): the user leaves the business at once; their open WebSockets acting for it "
        "close with 4403.",
        extensions=[staff_only()],
    )
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> result(
        "RemoveMemberResult", RemoveMemberPayload
    ):
        user_id = input.user_id

        async def run(tx: Tx) -> RemoveMemberPayload:
            uid = expect_id(user_id, "User", "userId")
            membership, user = await service.remove_member(tx, user_id=uid)
            return RemoveMemberPayload(member=Member.of(membership, user))

        return await mutate(info, run)

    @strawberry.mutation(
        description="Owner/admin: the secret is in this response only.", extensions=[staff_only()]
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> result(
        "CreateApiKeyResult", CreateApiKeyPayload
    ):
        async def run(tx: Tx) -> CreateApiKeyPayload:
            key, secret = await service.create_api_key(
                tx, name=input.name, scopes=[s.value for s in input.scopes]
            )
            return CreateApiKeyPayload(api_key=ApiKey.from_row(key), secret=secret)

        return await mutate(info, run)

    @strawberry.mutation(extensions=[staff_only()])
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> result(
        "RevokeApiKeyResult", ApiKeyPayload
    ):
        id = input.id

        async def run(tx: Tx) -> ApiKeyPayload:
            return ApiKeyPayload(
                api_key=ApiKey.from_row(await service.revoke_api_key(tx, expect_id(id, "ApiKey")))
            )

        return await mutate(info, run)
