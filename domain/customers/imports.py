"""Customer CSV imports: checked whole before any write, then run as a job chunk by
chunk, with progress and a per-row error report (a failing row leaves nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.core import audit, outbox
from domain.core.errors import NotFound
from domain.core.tx import Tx
from domain.core.viewer import Scope, Viewer
from domain.customers.csv_rows import ParsedRow, parse_csv
from domain.customers.import_repository import ImportRepository
from domain.customers.import_rows import ChunkCounts, OnDuplicate, import_rows
from domain.customers.models import CustomerImport, CustomerImportError, ImportStatus
from domain.customers.service import channel_for, load_business

IMPORT_JOB = "import_customers"


async def start_import(tx: Tx, text: str, on_duplicate: OnDuplicate) -> CustomerImport:
    """Check the whole file first (nothing written when it is refused), then record the
    import and queue its job; the job writes the customers chunk by chunk."""
    business_id = tx.viewer.require_business(Scope.CUSTOMERS_WRITE)
    rows = parse_csv(text)
    imp = CustomerImport(
        business_id=business_id,
        requested_by=tx.viewer.actor_label,
        on_duplicate=on_duplicate.value,
        status=ImportStatus.QUEUED,
        csv=text,
        total_rows=len(rows),
        processed_rows=0,
        created=0,
        merged=0,
        skipped=0,
        failed=0,
        error=None,
        created_at=tx.now(),
        started_at=None,
        finished_at=None,
    )
    await ImportRepository(tx.session, tx.viewer).add(imp)
    audit.record(
        tx,
        "customer.import_requested",
        target_type="customer_import",
        target_id=imp.id,
        data={"rows": len(rows), "onDuplicate": on_duplicate.value},
    )
    outbox.emit(tx, "customer.import_requested", {"importId": imp.id}, job=IMPORT_JOB)
    return imp


async def get_import(tx: Tx, import_id: int) -> CustomerImport:
    tx.viewer.require_business(Scope.CUSTOMERS_READ)
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id)
    if imp is None:
        raise NotFound("customer import", import_id)
    return imp


async def import_errors(
    tx: Tx, import_id: int, limit: int, after_id: int | None
) -> Sequence[CustomerImportError]:
    """A keyset page of the import's refused rows (limit + 1 rows: the last tells more)."""
    await get_import(tx, import_id)
    return await ImportRepository(tx.session, tx.viewer).errors(import_id, limit, after_id)


def import_viewer(event_business_id: int, import_id: int) -> Viewer:
    """The job acts for the import's business as a system actor; the audit names the
    person or key who asked for the import."""
    return Viewer.system_actor(f"import:{import_id}", business_id=event_business_id)


async def pending_rows(tx: Tx, import_id: int) -> list[ParsedRow] | None:
    """The rows of an import still to finish, parsed once per job run; None when done."""
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id, with_csv=True)
    if imp is None or imp.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
        return None
    return parse_csv(imp.csv or "")


async def import_chunk(tx: Tx, import_id: int, rows: list[ParsedRow], size: int) -> bool:
    """Import the next `size` rows in the caller's unit of work and record how far it got
    (with the chunk, so a rerun resumes there). The customer counter is held only until
    this chunk commits. Answers whether the import is finished."""
    repo = ImportRepository(tx.session, tx.viewer)
    imp = await repo.get(import_id, lock=True)
    if imp is None or imp.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
        return True
    if imp.status == ImportStatus.QUEUED:
        imp.status, imp.started_at = ImportStatus.RUNNING, tx.now()
    business = await load_business(tx)
    on_duplicate = OnDuplicate(imp.on_duplicate)
    batch = rows[imp.processed_rows : imp.processed_rows + size]
    counts = ChunkCounts()
    await import_rows(tx, business, batch, on_duplicate, counts, imp.id)
    await repo.add_errors(imp.id, counts.errors)
    imp.created += counts.created
    imp.merged += counts.merged
    imp.skipped += counts.skipped
    imp.failed += len(counts.errors)
    imp.processed_rows += len(batch)
    if imp.processed_rows < len(rows):
        return False
    imp.status, imp.finished_at, imp.csv = ImportStatus.COMPLETED, tx.now(), None
    totals = {
        "created": imp.created,
        "merged": imp.merged,
        "skipped": imp.skipped,
        "failed": imp.failed,
    }
    audit.record(
        tx,
        "customer.imported",
        target_type="customer_import",
        target_id=imp.id,
        data=totals,
        actor=imp.requested_by,
    )
    if imp.created or imp.merged:
        outbox.emit(
            tx,
            "customer.imported",
            {"importId": imp.id, **totals},
            channels=[channel_for(imp.business_id)],
        )
    return True


async def fail_import(tx: Tx, import_id: int, reason: str) -> None:
    """An import the job could not finish: what was committed stays, the rest is not
    imported, and the import says so."""
    imp = await ImportRepository(tx.session, tx.viewer).get(import_id, lock=True)
    if imp is None or imp.status == ImportStatus.COMPLETED:
        return
    imp.status, imp.finished_at, imp.csv, imp.error = (
        ImportStatus.FAILED,
        tx.now(),
        None,
        reason[:300],
    )
