"""What a service needs to do its work: the open session, who asks, and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.clock import Clock
from domain.core.viewer import Viewer


@dataclass
class Tx:
    session: AsyncSession
    viewer: Viewer
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def business_id(self) -> int:
        return self.viewer.require_business()
