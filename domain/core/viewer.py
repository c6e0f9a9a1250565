"""Who is asking: the identity every service and repository scopes by.

A Viewer has an explicit kind. Repositories turn it into the rows it may read (each has one
read policy, a `match` on the kind); a new kind of actor is a new branch there, nowhere
else."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.core.errors import PermissionDenied, Unauthenticated


class ViewerKind(StrEnum):
    ANONYMOUS = "anonymous"
    STAFF = "staff"  # a signed-in user acting for one of their businesses
    API_KEY = "api_key"  # an integrator's key: one business, its scopes
    PERSON = "person"  # a portal person (phone-verified identity across businesses)
    SYSTEM = "system"  # trusted server-side actor: webhook, job, signed download


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"


class Scope(StrEnum):
    """What an API key may do, per bounded context. Staff hold every scope (their role
    decides the rest). Invoicing: INVOICES_READ covers invoices, statements, reports,
    drafts and templates; INVOICES_WRITE creates, sends, voids and credits invoices and
    edits drafts; PAYMENTS_WRITE records, applies and reverses payments. Orders:
    ORDERS_READ reads orders, their timeline and confirmation PDFs; ORDERS_WRITE creates
    orders and changes their status (invoicing an order also needs INVOICES_WRITE).
    Purchases: PURCHASES_READ covers counter purchases and the customer timeline; PURCHASES_WRITE
    records, edits and deletes them and sets the business's customer status rules."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    PAYMENTS_WRITE = "payments:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    PURCHASES_READ = "purchases:read"
    PURCHASES_WRITE = "purchases:write"
    # message templates, customers' notification preferences, SMS quota and usage
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_WRITE = "notifications:write"
    # SMS campaigns: READ lists, previews and follows them; WRITE creates, sends,
    # schedules and cancels them
    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"


STAFF_SCOPES = frozenset(Scope)


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    user_id: int | None = None
    business_id: int | None = None
    role: Role | None = None
    api_key_id: int | None = None
    person_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None
    request_id: str | None = None
    token_id: int | None = None
    system: str | None = None  # e.g. "webhook:mpesa": which trusted server-side actor

    @classmethod
    def anonymous(cls, *, ip: str | None = None, request_id: str | None = None) -> Viewer:
        return cls(ViewerKind.ANONYMOUS, ip=ip, request_id=request_id)

    @classmethod
    def system_actor(
        cls,
        label: str,
        *,
        business_id: int | None = None,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> Viewer:
        """A server-side actor; with a business it acts for that business only."""
        return cls(
            ViewerKind.SYSTEM,
            business_id=business_id,
            scopes=STAFF_SCOPES,
            ip=ip,
            request_id=request_id,
            system=label,
        )

    @property
    def audience_key(self) -> tuple[object, ...]:
        """Everything a selection may read from the viewer to decide what it shows: kind,
        business, role, scopes, person. Viewers with equal keys see the same data, so their
        identical subscriptions can share one execution (schema/http/cohorts.py)."""
        return (self.kind, self.business_id, self.role, self.scopes, self.person_id)

    def audience(self) -> Viewer:
        """This viewer reduced to its audience: no user, key, token, address or request id,
        so nothing that tells one member of a group from another can reach a result."""
        return Viewer(
            self.kind,
            business_id=self.business_id,
            role=self.role,
            scopes=self.scopes,
            person_id=self.person_id,
        )

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not ViewerKind.ANONYMOUS

    @property
    def actor_label(self) -> str:
        match self.kind:
            case ViewerKind.API_KEY:
                return f"api_key:{self.api_key_id}"
            case ViewerKind.STAFF:
                return f"user:{self.user_id}"
            case ViewerKind.PERSON:
                return f"person:{self.person_id}"
            case _:
                return self.system or "system"

    def require_user(self) -> int:
        if self.kind is not ViewerKind.STAFF or self.user_id is None:
            raise Unauthenticated("sign in first")
        return self.user_id

    def require_scope(self, scope: str) -> None:
        if not self.is_authenticated:
            raise Unauthenticated("sign in first")
        if scope not in self.scopes:
            raise PermissionDenied(f"missing scope {scope}")

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


SYSTEM = Viewer.system_actor("system")
