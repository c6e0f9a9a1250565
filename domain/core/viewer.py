"""Who is asking: the identity every service and repository scopes by."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.core.errors import PermissionDenied, Unauthenticated


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"


class Scope(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"


STAFF_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    business_id: int | None = None
    role: Role | None = None
    api_key_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None
    request_id: str | None = None
    token_id: int | None = None
    system: str | None = None  # e.g. "webhook:mpesa": trusted server-side actor

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.api_key_id is not None or self.system is not None

    @property
    def actor_label(self) -> str:
        if self.api_key_id is not None:
            return f"api_key:{self.api_key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return self.system or "system"

    def require_user(self) -> int:
        if self.user_id is None:
            raise Unauthenticated("sign in first")
        return self.user_id

    def require_business(self, scope: str | None = None) -> int:
        if not self.is_authenticated:
            raise Unauthenticated("sign in first")
        if self.business_id is None:
            raise PermissionDenied("choose a business (X-Khata-Business header)")
        if scope is not None and scope not in self.scopes:
            raise PermissionDenied(f"missing scope {scope}")
        return self.business_id

    def require_role(self, *roles: Role) -> int:
        business_id = self.require_business()
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDenied(f"only {allowed} may do this")
        return business_id


SYSTEM = Viewer(scopes=STAFF_SCOPES)
