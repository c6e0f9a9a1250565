"""A CSV import of customers: its status, progress, counts and the rows it refused."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from domain.core.pagination import clamp_first, decode_cursor, encode_cursor
from domain.core.tx import Tx
from domain.customers import imports, models
from schema.errors import FieldProblem
from schema.relay import Node, PageInfo, page_info, to_global_id
from schema.types.customers.inputs import OnDuplicate

if TYPE_CHECKING:
    from schema.context import Context

CustomerImportStatus = strawberry.enum(models.ImportStatus, name="CustomerImportStatus")


@strawberry.type(description="A row of the file that was not imported, and why.")
class CustomerImportRowError:
    line: int = strawberry.field(description="Physical line in the file; the header is 1.")
    errors: list[FieldProblem]

    @classmethod
    def from_row(cls, row: models.CustomerImportError) -> CustomerImportRowError:
        return cls(
            line=row.line,
            errors=[FieldProblem(**e) for e in row.errors],
        )


@strawberry.type
class CustomerImportRowErrorEdge:
    cursor: str
    node: CustomerImportRowError


@strawberry.type
class CustomerImportRowErrorConnection:
    edges: list[CustomerImportRowErrorEdge]
    page_info: PageInfo


@strawberry.type(
    description="A CSV import, run in the background: poll `customerImport(id)` (or "
    "`node`) until `status` is COMPLETED or FAILED."
)
class CustomerImport(Node):
    status: CustomerImportStatus  # type: ignore[valid-type]
    on_duplicate: OnDuplicate  # type: ignore[valid-type]
    total_rows: int = strawberry.field(description="Data rows in the file (blank ones left out).")
    processed_rows: int
    created: int
    merged: int
    skipped: int
    failed: int = strawberry.field(description="Rows refused; each is listed in `errors`.")
    error: str | None = strawberry.field(description="Why a FAILED import stopped.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.CustomerImport) -> CustomerImport:
        return cls(
            id=to_global_id("CustomerImport", row.id),
            status=models.ImportStatus(row.status),
            on_duplicate=OnDuplicate(row.on_duplicate),
            total_rows=row.total_rows,
            processed_rows=row.processed_rows,
            created=row.created,
            merged=row.merged,
            skipped=row.skipped,
            failed=row.failed,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            row_id=row.id,
        )

    @strawberry.field(description="Refused rows in file order, keyset-paginated.")
    async def errors(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
    ) -> CustomerImportRowErrorConnection:
        limit = clamp_first(first, info.context.rt.settings.max_page_size)
        after_id = decode_cursor(after, "error")[1] if after else None
        viewer = await info.context.require_viewer()
        async with info.context.rt.db.read() as session:
            rows = await imports.import_errors(
                Tx(session, viewer, info.context.rt.clock), self.row_id, limit, after_id
            )
        more = len(rows) > limit
        nodes = [CustomerImportRowError.from_row(r) for r in rows[:limit]]
        cursors = [encode_cursor("error", 0, r.id) for r in rows[:limit]]
        return CustomerImportRowErrorConnection(
            edges=[
                CustomerImportRowErrorEdge(cursor=c, node=n)
                for c, n in zip(cursors, nodes, strict=True)
            ],
            page_info=page_info(cursors, more, after is not None),
        )
