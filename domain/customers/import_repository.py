"""SQL of CSV imports: the import rows and their per-row error report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, insert
from sqlalchemy.orm import undefer

from domain.core.repository import TenantRepository, unauthenticated
from domain.core.viewer import ViewerKind
from domain.customers.models import CustomerImport, CustomerImportError


class ImportRepository(TenantRepository):
    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """Imports are the business's own records, like its customers."""
        match self.viewer.kind:
            case ViewerKind.STAFF | ViewerKind.API_KEY | ViewerKind.SYSTEM:
                return self.business_rows(model)
            case _:
                raise unauthenticated(self.viewer)

    async def get(
        self, import_id: int, *, lock: bool = False, with_csv: bool = False
    ) -> CustomerImport | None:
        stmt = self.readable(CustomerImport).where(CustomerImport.id == import_id)
        if with_csv:
            stmt = stmt.options(undefer(CustomerImport.csv))
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)

    async def add_errors(self, import_id: int, errors: Sequence[tuple[int, list[Any]]]) -> None:
        """One multi-row INSERT for a chunk's refused rows."""
        if not errors:
            return
        business_id = self.viewer.require_business()
        await self.s.execute(
            insert(CustomerImportError),
            [
                {"business_id": business_id, "import_id": import_id, "line": line, "errors": e}
                for line, e in errors
            ],
        )

    async def errors(
        self, import_id: int, limit: int, after_id: int | None
    ) -> Sequence[CustomerImportError]:
        """Keyset page of refused rows in file order (limit + 1 rows: one tells more)."""
        stmt = self.readable(CustomerImportError).where(CustomerImportError.import_id == import_id)
        if after_id is not None:
            stmt = stmt.where(CustomerImportError.id > after_id)
        return (await self.s.scalars(stmt.order_by(CustomerImportError.id).limit(limit + 1))).all()
