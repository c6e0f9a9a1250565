"""Audit trail: who did what to which record, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import Base, IdType, id_column
from domain.core.tx import Tx


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_business_id_id", "business_id", "id"),
        Index("ix_audit_events_action_subject", "action", "subject", "created_at"),
    )

    id: Mapped[int] = id_column()
    business_id: Mapped[int | None] = mapped_column(IdType)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(IdType)
    subject: Mapped[str | None] = mapped_column(String(200))  # e.g. email tried at sign-in
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


def record(
    tx: Tx,
    action: str,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    subject: str | None = None,
    data: dict[str, Any] | None = None,
    business_id: int | None = None,
    actor: str | None = None,
) -> AuditEvent:
    row = AuditEvent(
        business_id=business_id if business_id is not None else tx.viewer.business_id,
        actor=actor or tx.viewer.actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        subject=subject,
        ip=tx.viewer.ip,
        request_id=tx.viewer.request_id,
        data=data or {},
        created_at=tx.now(),
    )
    tx.session.add(row)
    return row


async def count_recent(tx: Tx, action: str, subject: str, since: datetime) -> int:
    stmt = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action,
        AuditEvent.subject == subject,
        AuditEvent.created_at >= since,
    )
    return int((await tx.session.execute(stmt)).scalar_one())
