"""Repository base: a session and the viewer it reads for.

Each repository has one read policy (`read_policy`), a `match` on the viewer's kind that
turns the viewer into the WHERE clause of every read (as Polar's `get_readable_statement`
does). A read builds its statement with `readable()` and adds its own conditions; no
method takes a business id from its caller. A new kind of actor is a new branch in each
policy and nowhere else.

Most tables are a business's own records, so the base holds that policy (and the plain
add and read-by-id every repository needs); a repository overrides `read_policy` only
where its rows are read otherwise (portal persons, user-owned rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import Unauthenticated
from domain.core.viewer import Viewer, ViewerKind

M = TypeVar("M")


class TenantRepository:
    # A system actor acting for no business (a job handed an id, a verified webhook, a
    # payment link) reads every business's rows: it found the row's id first.
    system_reads_across: ClassVar[bool] = False

    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        self.s = session
        self.viewer = viewer

    def read_policy(self, model: Any) -> ColumnElement[bool]:
        """The rows of `model` (a business-owned table) this viewer may read: anyone
        acting for a business reads that business's rows; a portal person none (the
        portal issue adds the rows linked to the person where they may see them)."""
        v = self.viewer
        match v.kind:
            case ViewerKind.SYSTEM if v.business_id is None and self.system_reads_across:
                return true()
            case ViewerKind.STAFF | ViewerKind.API_KEY | ViewerKind.SYSTEM:
                return self.business_rows(model)
            case ViewerKind.PERSON:
                return false()
            case _:
                raise unauthenticated(v)

    def readable(self, model: Any, *columns: Any) -> Select[Any]:
        """SELECT `columns` (default: the model itself) of the rows the policy allows."""
        return select(*(columns or (model,))).where(self.read_policy(model))

    def business_rows(self, model: Any) -> ColumnElement[bool]:
        """The common branch: the viewer's own business (staff, API key, system actor
        acting for a business)."""
        return model.business_id == self.viewer.require_business()  # type: ignore[no-any-return]

    async def add(self, row: object) -> None:
        """A new row, flushed so its id is known to the caller."""
        self.s.add(row)
        await self.s.flush()

    async def add_all(self, rows: Iterable[object]) -> None:
        """New rows in one flush (an invoice's lines, a business's counters)."""
        self.s.add_all(rows)
        await self.s.flush()

    async def get_row(self, model: type[M], row_id: int | str, *, lock: bool = False) -> M | None:
        """One row by id if the policy lets the viewer read it (a foreign id: None);
        `lock` holds it (FOR UPDATE) until the transaction ends."""
        stmt = self.readable(model).where(model.id == row_id)  # type: ignore[attr-defined]
        if lock:
            stmt = stmt.with_for_update()
        return await self.s.scalar(stmt)  # type: ignore[no-any-return]

    async def rows_by_id(self, model: type[M], ids: Iterable[int]) -> dict[int, M]:
        """The readable rows of these ids, by id (one statement; none asked, none read)."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.s.scalars(self.readable(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
        return {r.id: r for r in rows}  # type: ignore[attr-defined]


def unauthenticated(viewer: Viewer) -> Unauthenticated:
    return Unauthenticated(f"sign in first ({viewer.kind.value} viewer)")


__all__ = ["TenantRepository", "ViewerKind", "unauthenticated"]
