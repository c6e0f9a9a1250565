"""All SQL of the attempt counters (`auth_throttles`). The counters belong to no business
and no user: they are keyed by hashes of IPs and emails, read and written only by the
pre-authentication paths (sign-in, accepting an invitation, password resets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import AuthThrottle
from domain.core.db import conflict_insert


@dataclass(frozen=True)
class Count:
    """A counter just after this attempt was added to it."""

    count: int
    window_started_at: datetime
    blocked_until: datetime | None


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def charge(self, scope: str, key_hash: str, now: datetime, cutoff: datetime) -> Count:
        """Count one attempt, atomically, and hand back the counter. A counter whose window
        began at or before `cutoff` (now minus the window) and that blocks nothing now
        starts again at one. The row stays locked until commit, so concurrent attempts on
        one key take turns; a refused attempt rolls back and is not counted."""
        t = AuthThrottle
        stale = and_(
            t.window_started_at <= cutoff,
            or_(t.blocked_until.is_(None), t.blocked_until <= now),
        )
        new = conflict_insert(self.s, t).values(
            scope=scope, key_hash=key_hash, count=1, window_started_at=now, blocked_until=None
        )
        stmt = new.on_conflict_do_update(
            index_elements=[t.scope, t.key_hash],
            set_={
                "count": case((stale, 1), else_=t.count + 1),
                "window_started_at": case(
                    (stale, new.excluded.window_started_at), else_=t.window_started_at
                ),
                "blocked_until": case((stale, None), else_=t.blocked_until),
            },
        ).returning(t.count, t.window_started_at, t.blocked_until)
        row = (await self.s.execute(stmt)).one()
        return Count(int(row[0]), row[1], row[2])

    async def block(self, scope: str, key_hash: str, until: datetime) -> None:
        await self.s.execute(
            update(AuthThrottle)
            .where(AuthThrottle.scope == scope, AuthThrottle.key_hash == key_hash)
            .values(blocked_until=until)
        )

    async def refund(self, scope: str, key_hash: str) -> None:
        """Take back one counted attempt (it turned out not to be a failure)."""
        await self.s.execute(
            update(AuthThrottle)
            .where(AuthThrottle.scope == scope, AuthThrottle.key_hash == key_hash)
            .values(count=AuthThrottle.count - 1)
        )

    async def forget(self, scope: str, key_hash: str) -> None:
        await self.s.execute(
            delete(AuthThrottle).where(
                AuthThrottle.scope == scope, AuthThrottle.key_hash == key_hash
            )
        )
