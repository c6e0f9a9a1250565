"""Payloads of the accounts context's mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.accounts.objects import ApiKey, Business, Member, Membership, User
from schema.types.common import Role


@strawberry.type
class AuthPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    user: User
    memberships: list[Membership]


@strawberry.type
class SignUpPayload:
    auth: AuthPayload
    business: Business


@strawberry.type
class BusinessPayload:
    business: Business


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str = strawberry.field(description="Shown once; only its hash is stored.")


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey


@strawberry.type
class InvitePayload:
    email: str
    role: Role
    expires_at: datetime
    token: str = strawberry.field(description="Also emailed; share it if email is not at hand.")


@strawberry.type
class MemberPayload:
    member: Member


@strawberry.type
class RequestPasswordResetPayload:
    message: str = strawberry.field(
        description="The same for every email, whether or not it has an account."
    )
    code_valid_minutes: int


@strawberry.type
class ResetPasswordPayload:
    user: User
    sessions_revoked: int = strawberry.field(
        description="Sessions signed out by the reset; API keys are untouched."
    )


@strawberry.type
class RemoveMemberPayload:
    member: Member = strawberry.field(description="The membership as it was before removal.")
