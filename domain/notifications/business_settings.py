"""A business's delivery settings beside its SMS limits (the same row): whether an SMS
that cannot reach a customer falls back to email, per message kind (fallback.py), and
whether customers get the monthly statement email (statement_mail.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.core.tx import Tx
from domain.core.viewer import Role, Scope
from domain.notifications.template_models import NotificationSettings
from domain.notifications.template_repository import TemplateRepository


@dataclass(frozen=True)
class DeliverySettings:
    email_fallback_transactional: bool = True
    email_fallback_marketing: bool = False
    monthly_statements: bool = False


def of(row: NotificationSettings | None) -> DeliverySettings:
    if row is None:
        return DeliverySettings()
    return DeliverySettings(
        row.email_fallback_transactional, row.email_fallback_marketing, row.monthly_statements
    )


async def current(tx: Tx) -> DeliverySettings:
    """The viewer's business's settings (the defaults until it saves any)."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    return of(await TemplateRepository(tx.session, tx.viewer).settings())


async def update(tx: Tx, **changes: bool | None) -> DeliverySettings:
    """Owner or admin; a None leaves that setting as it was."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    repo = TemplateRepository(tx.session, tx.viewer)
    row = await repo.settings()
    if row is None:
        row = NotificationSettings(business_id=business_id, updated_at=tx.now())
        await repo.add(row)
    wanted = replace(of(row), **{k: v for k, v in changes.items() if v is not None})
    row.email_fallback_transactional = wanted.email_fallback_transactional
    row.email_fallback_marketing = wanted.email_fallback_marketing
    row.monthly_statements = wanted.monthly_statements
    row.updated_at = tx.now()
    await tx.session.flush()
    return wanted
