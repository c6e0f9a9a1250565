"""The due scan: every active schedule whose next date has come in its business's time
zone gets its occurrences issued, one transaction per occurrence.

Exactly once: the occurrence row (unique per schedule and date) is written with the
invoice, and the schedule row is locked while it happens, so two workers scanning at
the same time, or a scan run twice, issue each occurrence once. After downtime every
missed occurrence is issued, each dated its own occurrence date (schedules cannot start
in the past, so only real downtime is caught up); a schedule catches up at most
MAX_PER_RUN occurrences per run and the next run continues."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from domain.core.clock import Clock
from domain.core.db import Database
from domain.core.errors import DomainError
from domain.core.tx import Tx
from domain.core.viewer import Viewer
from domain.invoicing.recurring.repository import RecurringRepository
from domain.invoicing.recurring.service import issue_next, stop_on_error

log = logging.getLogger("khata.recurring")
ACTOR = "job:recurring_invoices"
BATCH = 200
MAX_PER_RUN = 60  # five years of a monthly schedule, a year of a weekly one


@dataclass
class ScanResult:
    schedules: int = 0
    issued: int = 0
    paused: int = 0


async def issue_due(db: Database, clock: Clock, public_url: str) -> ScanResult:
    """One read walks the active schedules due by the latest date on Earth; each whose
    own business date has reached its next date is issued."""
    result = ScanResult()
    now = clock.now()
    latest = (now + timedelta(hours=14)).date()  # UTC+14 is the furthest ahead
    after = 0
    while True:
        async with db.read() as session:
            batch = await RecurringRepository.due_after(session, after, latest, BATCH)
        if not batch:
            return result
        for schedule_id, business_id, timezone, next_date in batch:
            if next_date <= now.astimezone(ZoneInfo(timezone)).date():
                result.schedules += 1
                await _run(db, clock, public_url, schedule_id, business_id, result)
        after = batch[-1][0]


async def _run(
    db: Database,
    clock: Clock,
    public_url: str,
    schedule_id: int,
    business_id: int,
    result: ScanResult,
) -> None:
    viewer = Viewer.system_actor(ACTOR, business_id=business_id)
    for _ in range(MAX_PER_RUN):
        try:
            async with db.unit_of_work() as session:
                issued = await issue_next(Tx(session, viewer, clock), schedule_id, public_url)
        except DomainError as exc:
            log.warning("recurring schedule %s paused: %s", schedule_id, exc.code)
            async with db.unit_of_work() as session:
                await stop_on_error(Tx(session, viewer, clock), schedule_id, exc.message)
            result.paused += 1
            return
        if issued is None:
            return
        if issued.invoice is not None:
            result.issued += 1
        if not issued.more:
            return
