"""Who may call a root field, declared on the field itself:

    @strawberry.mutation(extensions=[needs(Scope.INVOICES_WRITE)])

- `needs(scope)`: a viewer acting for a business and holding the scope (staff hold every
  scope; their role is checked by the service);
- `staff_only()`: a signed-in user, never an API key;
- `signed_in()`: any authenticated viewer (`node`: each object type checks its scope);
- `public()`: anyone (sign-up, sign-in, invitations, `viewer`).

The check runs before the resolver; a mutation answers a PermissionError (or
AuthenticationError) result, a query an error with that code. Every Query and Mutation
field carries exactly one declaration (a test walks the schema)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy.exc import TimeoutError as PoolTimeout
from strawberry.extensions import FieldExtension

from domain.core.errors import DomainError, PermissionDenied, Unauthenticated
from domain.core.failures import service_busy
from domain.core.viewer import Scope, Viewer, ViewerKind
from schema.errors import to_user_error


class Rule(Enum):
    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    STAFF = "staff"
    SCOPE = "scope"


class Access(FieldExtension):
    def __init__(self, rule: Rule, scope: Scope | None = None) -> None:
        super().__init__()
        self.rule = rule
        self.scope = scope

    def check(self, viewer: Viewer) -> None:
        if self.rule is Rule.PUBLIC:
            return
        if not viewer.is_authenticated:
            raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
        if self.rule is Rule.SIGNED_IN:
            return
        if self.rule is Rule.STAFF:
            if viewer.kind is not ViewerKind.STAFF:
                raise PermissionDenied("only a signed-in user may do this (not an API key)")
            return
        assert self.scope is not None
        viewer.require_business(self.scope)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        if self.rule is not Rule.PUBLIC:
            try:
                self.check(await info.context.viewer())
            except DomainError as exc:
                if info.path.typename == "Mutation":
                    return to_user_error(exc)
                raise
            except PoolTimeout:  # no connection came free to look the viewer up
                if info.path.typename == "Mutation":
                    return to_user_error(service_busy())
                raise
        return await next_(source, info, **kwargs)


def needs(scope: Scope) -> Access:
    return Access(Rule.SCOPE, scope)


def signed_in() -> Access:
    """Any signed-in viewer; for `node`, whose object types check their own scope."""
    return Access(Rule.SIGNED_IN)


def staff_only() -> Access:
    return Access(Rule.STAFF)


def public() -> Access:
    return Access(Rule.PUBLIC)
